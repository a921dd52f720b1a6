// nccl-tests' alltoallv: every rank sends a different amount to each peer. By default the amounts
// follow its distance-weighted spread (NCCL_TESTS_ALLTOALLV_SPREAD, 0 = uniform .. 1 = default:
// more to peers further away in rank order, each rank sending and receiving the same total);
// NCCL_TESTS_ALLTOALLV_MATRIX_FILE gives them explicitly (cell i j: bytes from rank i to rank j,
// times NCCL_TESTS_ALLTOALLV_MATRIX_SCALE), and -b must then equal -e. nccl-tests rounds every
// amount down to 16 B; here to whole elements, so counts are odd where the sizes are.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "collectives/collective.h"
#include "kernels/datagen.h"

namespace fb {
namespace {

struct Config {
  double spread = 1.0;
  std::string matrix_file;  // empty: the generated spread
  double scale = 1.0;
  int dim = 0;
  std::vector<double> bytes;  // dim x dim, scaled, whole bytes
  std::string error;          // the environment or the file is unusable
};

// A whole string as a finite number, or false.
bool parse_number(const std::string& s, double* out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (errno == ERANGE || end != s.c_str() + s.size() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

std::string read_matrix(Config& k) {
  const std::string where = "NCCL_TESTS_ALLTOALLV_MATRIX_FILE " + k.matrix_file;
  std::ifstream in(k.matrix_file);
  if (!in) return where + ": cannot open the file";
  std::string line;
  std::size_t row = 0, cols = 0;
  for (std::size_t lineno = 1; std::getline(in, line); ++lineno) {
    std::istringstream words(line);
    std::string w;
    std::size_t n = 0;
    while (words >> w) {
      double v = 0;
      if (!parse_number(w, &v) || v < 0) {
        std::string msg = where;
        msg += ": line ";
        msg += std::to_string(lineno);
        msg += ": '";
        msg += w;
        msg += "' is not a non-negative number of bytes";
        return msg;
      }
      k.bytes.push_back(std::floor(v * k.scale));
      ++n;
    }
    if (n == 0) continue;
    if (row == 0) cols = n;
    if (n != cols) {
      std::string msg = where;
      msg += ": line ";
      msg += std::to_string(lineno);
      msg += " has ";
      msg += std::to_string(n);
      msg += " values, the first row ";
      msg += std::to_string(cols);
      return msg;
    }
    ++row;
  }
  if (row == 0) return where + ": no values";
  if (row != cols) {
    return where + ": the matrix must be square (" + std::to_string(row) + " rows of " +
           std::to_string(cols) + ")";
  }
  k.dim = static_cast<int>(row);
  return "";
}

Config load() {
  Config k;
  if (const char* s = std::getenv("NCCL_TESTS_ALLTOALLV_SPREAD")) {
    if (!parse_number(s, &k.spread)) {
      k.error = std::string("NCCL_TESTS_ALLTOALLV_SPREAD='") + s + "' is not a number";
      return k;
    }
    k.spread = std::clamp(k.spread, 0.0, 1.0);  // as nccl-tests
  }
  if (const char* s = std::getenv("NCCL_TESTS_ALLTOALLV_MATRIX_SCALE")) {
    if (!parse_number(s, &k.scale) || k.scale < 0) {
      k.error =
          std::string("NCCL_TESTS_ALLTOALLV_MATRIX_SCALE='") + s + "' is not a non-negative number";
      return k;
    }
  }
  if (const char* s = std::getenv("NCCL_TESTS_ALLTOALLV_MATRIX_FILE")) {
    k.matrix_file = s;
    if (k.matrix_file.empty()) {
      k.error = "NCCL_TESTS_ALLTOALLV_MATRIX_FILE is empty";
      return k;
    }
    k.error = read_matrix(k);
  }
  return k;
}

// Read once per process (rank-threads of -g N share it).
const Config& config() {
  static const Config k = load();
  return k;
}

bool matrix_usable(const Config& k, int n) { return k.error.empty() && n <= k.dim; }

// Elements rank i sends to rank j; `param` is the requested size / nranks in elements.
std::size_t peer_count(int i, int j, int n, std::size_t param, std::size_t es) {
  const Config& k = config();
  if (!k.matrix_file.empty()) {
    if (!matrix_usable(k, n)) return 0;
    return static_cast<std::size_t>(
               k.bytes[static_cast<std::size_t>(i) * static_cast<std::size_t>(k.dim) +
                       static_cast<std::size_t>(j)]) /
           es;
  }
  if (n == 1) return param;
  // Blend of uniform (param each) and weighted by the distance d: d * total / sum of distances.
  const double total = static_cast<double>(param) * n;
  const double d = (j - i + n) % n;
  const double weighted = d * total / (static_cast<double>(n) * (n - 1) / 2);
  return static_cast<std::size_t>((1.0 - k.spread) * static_cast<double>(param) +
                                  k.spread * weighted);
}

// Per peer: elements sent, received, and where they start in this rank's buffers.
struct Layout {
  std::vector<std::size_t> send, recv, send_at, recv_at;
};

Layout layout(int rank, int n, std::size_t param, std::size_t es) {
  Layout l;
  std::size_t s = 0, r = 0;
  for (int p = 0; p < n; ++p) {
    l.send.push_back(peer_count(rank, p, n, param, es));
    l.recv.push_back(peer_count(p, rank, n, param, es));
    l.send_at.push_back(s);
    l.recv_at.push_back(r);
    s += l.send.back();
    r += l.recv.back();
  }
  return l;
}

// Buffers hold the largest rank total (nccl-tests sizes them alike); the size column too.
CollCounts counts(std::size_t bytes, std::size_t elem_size, int nranks) {
  const bool matrix = !config().matrix_file.empty();
  const std::size_t param = matrix ? 0 : bytes / elem_size / static_cast<std::size_t>(nranks);
  std::size_t max_send = 0, max_recv = 0;
  // The generated spread gives every rank the same totals: rank 0 stands for all.
  for (int r = 0; r < (matrix ? nranks : 1); ++r) {
    std::size_t s = 0, v = 0;
    for (int p = 0; p < nranks; ++p) {
      s += peer_count(r, p, nranks, param, elem_size);
      v += peer_count(p, r, nranks, param, elem_size);
    }
    max_send = std::max(max_send, s);
    max_recv = std::max(max_recv, v);
  }
  return {max_send, max_recv, param, std::max(max_send, max_recv) * elem_size};
}

// nccl-tests: algbw from the largest rank total, busbw = algbw (n-1)/n.
constexpr double (*bus_factor)(int) = peer_share_bus_factor;

// From each source s in rank order, the part of s's stream that s sends to this rank.
CheckRegion expected(const DataContext& c, void* out) {
  const std::size_t es = dtype_size(c.dtype);
  const std::size_t param = c.counts.param_count;
  auto* bytes = static_cast<unsigned char*>(out);
  std::size_t at = 0;
  for (int s = 0; s < c.nranks; ++s) {
    const std::size_t n = peer_count(s, c.rank, c.nranks, param, es);
    std::size_t from = 0;
    for (int p = 0; p < c.rank; ++p) from += peer_count(s, p, c.nranks, param, es);
    generate(c.dtype, RedOp::kSum, c.nranks, c.seed, s, from, bytes + at * es, n);
    at += n;
  }
  return {0, at};
}

// One step, as nccl-tests groups it: a send to and a receive from every peer with data. In place
// the output overwrites the input, so sends read a staged copy.
void schedule(const DataContext& c, P2pSchedule* s) {
  const std::size_t es = dtype_size(c.dtype);
  const Layout l = layout(c.rank, c.nranks, c.counts.param_count, es);
  const auto r = static_cast<std::size_t>(c.rank);
  s->stage_input = c.in_place;
  s->copy_src = l.send_at[r] * es;
  s->copy_dst = l.recv_at[r] * es;
  s->copy_bytes = l.send[r] * es;
  P2pStep step;
  for (int p = 0; p < c.nranks; ++p) {
    const auto q = static_cast<std::size_t>(p);
    if (p == c.rank) continue;
    if (l.send[q]) step.sends.push_back({p, l.send_at[q] * es, l.send[q] * es, false});
    if (l.recv[q]) step.recvs.push_back({p, l.recv_at[q] * es, l.recv[q] * es, false});
  }
  s->steps.push_back(step);
}

std::string check_run(std::size_t min_bytes, std::size_t max_bytes, int nranks) {
  const Config& k = config();
  if (!k.error.empty()) return k.error;
  if (k.matrix_file.empty()) return "";
  const std::string where = "NCCL_TESTS_ALLTOALLV_MATRIX_FILE " + k.matrix_file;
  if (nranks > k.dim) {
    return where + ": " + std::to_string(k.dim) + " rows, fewer than the " +
           std::to_string(nranks) + " ranks";
  }
  if (min_bytes != max_bytes) {
    return where + ": -b and -e must be equal (the sizes come from the matrix)";
  }
  const std::size_t need = counts(max_bytes, 1, nranks).bytes;
  if (max_bytes < need) {
    return where + ": -e must be at least " + std::to_string(need) +
           " B, the largest rank total in the matrix";
  }
  return "";
}

// What the results' metadata records of the pattern.
std::string setup() {
  const Config& k = config();
  std::ostringstream os;
  if (k.matrix_file.empty()) {
    os << "NCCL_TESTS_ALLTOALLV_SPREAD " << k.spread
       << " (elements to the peer at distance d = (peer - rank) mod n: (1-s) c + s d n c / "
          "(n(n-1)/2), rounded down, c = size / n / element size)";
  } else {
    os << "NCCL_TESTS_ALLTOALLV_MATRIX_FILE " << k.matrix_file << " (" << k.dim << "x" << k.dim
       << "), NCCL_TESTS_ALLTOALLV_MATRIX_SCALE " << k.scale;
  }
  return os.str();
}

}  // namespace

extern const CollectiveDef kAlltoallv = {"alltoallv",
                                         CollKind::kAlltoallv,
                                         false,
                                         false,
                                         counts,
                                         bus_factor,
                                         ring_chunk_steps,
                                         input_at_start,
                                         fill_own_stream,
                                         expected,
                                         schedule,
                                         check_run,
                                         setup};

}  // namespace fb
