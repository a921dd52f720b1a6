// Shared by the rooted algorithms (broadcast and reduce, binomial tree and pipelined chain):
// ranks renumbered so the root is 0, and the pieces a pipelined message is cut into.
#pragma once

#include <algorithm>
#include <cstddef>

#include "collectives/algorithm.h"

namespace fb {

// Virtual rank: distance from the root going up, so the root is 0.
inline int rooted_rank(int rank, int root, int n) { return (rank - root + n) % n; }
inline int real_rank(int vrank, int root, int n) { return (vrank + root) % n; }

// A pipelined message goes in pieces of about kChainPieceBytes (at most kMaxChainPieces), so a
// chain of n ranks costs one message time plus (n-2) piece times.
constexpr std::size_t kChainPieceBytes = 256 << 10;
constexpr int kMaxChainPieces = 1024;
inline int chain_pieces(std::size_t count, std::size_t elem_size) {
  const std::size_t bytes = count * elem_size;
  const std::size_t pieces = (bytes + kChainPieceBytes - 1) / kChainPieceBytes;
  return static_cast<int>(
      std::clamp<std::size_t>(pieces, 1, static_cast<std::size_t>(kMaxChainPieces)));
}

}  // namespace fb
