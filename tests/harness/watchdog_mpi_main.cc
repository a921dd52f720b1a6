// Under mpirun -np 3: three "collectives" (barriers) bracketed by the watchdog with a 1 s
// timeout. Mode `stop`: rank 2 stops itself (SIGSTOP) inside the third call, so it cannot
// answer; mode `late`: rank 2 sleeps before the third call, so it answers from call 2; mode `ok`:
// no fault, the run ends cleanly. ctest checks the exit code and that the one message names
// rank 2.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>

#include "collectives/world.h"
#include "harness/exit_codes.h"
#include "harness/watchdog.h"

int main(int argc, char** argv) {
  std::unique_ptr<fb::World> world = fb::make_world(&argc, &argv);
  const std::string mode = argc > 1 ? argv[1] : "ok";
  fb::WatchdogOptions opts;
  opts.timeout_s = 1.0;
  opts.grace_s = 2.0;
  // As fabricbench's: the message, then the job ends with the timeout's exit code.
  opts.on_timeout = [&world](const std::string& message) {
    std::fprintf(stderr, "fabricbench: %s\n", message.c_str());
    std::fflush(stderr);
    world->abort(fb::kExitTimeout);
  };
  {
    fb::Watchdog watchdog(*world, opts);
    for (int i = 1; i <= 3; ++i) {
      watchdog.set_phase("barrier " + std::to_string(i));
      const bool faulty = i == 3 && world->rank() == 2;
      if (faulty && mode == "late") sleep(120);
      watchdog.begin_call();
      if (faulty && mode == "stop") raise(SIGSTOP);
      world->barrier();
      watchdog.end_call();
    }
  }
  if (world->rank() == 0) std::printf("watchdog_mpi: mode %s finished\n", mode.c_str());
  return 0;
}
