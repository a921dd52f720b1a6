// Errors agreed by every rank: each rank passes its own ("" for none), all learn whether any
// failed, so every early return is taken by all ranks and none waits in a control-plane call.
#pragma once

#include <string>

#include "collectives/world.h"

namespace fb {

// Collective: true when any rank has an error. Rank 0 then prints each distinct message once,
// naming the ranks that had it unless all did ("fabricbench: ranks 1,2: ...").
bool report_rank_errors(World& world, const std::string& error);

}  // namespace fb
