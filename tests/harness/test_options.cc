// Option parsing: every flag's meaning and every bad input's one-line error.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/options.h"

namespace fb {
namespace {

ParseOutcome parse(std::vector<std::string> args) { return parse_run_options(args); }

std::string error_of(std::vector<std::string> args) {
  ParseOutcome r = parse(std::move(args));
  EXPECT_FALSE(r.options.has_value());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.output.find('\n'), std::string::npos) << "errors are one line: " << r.output;
  return r.output;
}

TEST(ParseSize, SuffixesAreBinary) {
  EXPECT_EQ(parse_size("8"), 8u);
  EXPECT_EQ(parse_size("1K"), 1024u);
  EXPECT_EQ(parse_size("64M"), 64u << 20);
  EXPECT_EQ(parse_size("8G"), 8ull << 30);
  EXPECT_EQ(parse_size("2T"), 2ull << 40);
  EXPECT_EQ(parse_size("3k"), 3072u);
  EXPECT_EQ(parse_size("4MB"), 4u << 20);
  EXPECT_EQ(parse_size("4MiB"), 4u << 20);
  EXPECT_EQ(parse_size("0"), 0u);
}

TEST(ParseSize, RejectsGarbageAndOverflow) {
  for (const char* bad :
       {"", "-1", "abc", "1X", "1.5M", "M", "99999999999999999999", "17179869184G", "1 M"}) {
    EXPECT_THROW(parse_size(bad), std::invalid_argument) << bad;
  }
}

TEST(FormatSize, ExactSuffixes) {
  EXPECT_EQ(format_size(64u << 20), "64M");
  EXPECT_EQ(format_size(1000), "1000");
  EXPECT_EQ(format_size(3072), "3K");
}

TEST(Sweep, FactorMultipliesAndStopsAtMax) {
  EXPECT_EQ(make_sweep(8, 64, 0, 2.0), (std::vector<std::size_t>{8, 16, 32, 64}));
  EXPECT_EQ(make_sweep(8, 100, 0, 2.0), (std::vector<std::size_t>{8, 16, 32, 64}));
  EXPECT_EQ(make_sweep(1, 1, 0, 2.0), (std::vector<std::size_t>{1}));
}

TEST(Sweep, StepAddsWhenFactorIsOne) {
  EXPECT_EQ(make_sweep(10, 40, 10, 1.0), (std::vector<std::size_t>{10, 20, 30, 40}));
  EXPECT_EQ(make_sweep(10, 45, 10, 1.0), (std::vector<std::size_t>{10, 20, 30, 40}));
}

TEST(Sweep, EightBytesTo64MiBHas24Sizes) {
  const auto s = make_sweep(8, 64u << 20, 1u << 20, 2.0);
  ASSERT_EQ(s.size(), 24u);
  EXPECT_EQ(s.front(), 8u);
  EXPECT_EQ(s.back(), 64u << 20);
}

TEST(Sweep, SmallFactorStillAdvances) {
  const auto s = make_sweep(1, 4, 0, 1.1);
  EXPECT_EQ(s, (std::vector<std::size_t>{1, 2, 3, 4}));
}

TEST(Options, NcclTestsFlags) {
  ParseOutcome r = parse(
      {"all_reduce", "-b", "8", "-e", "64M",  "-f",     "2",      "-n",    "7",     "-w",
       "3",          "-c", "2", "-d", "half", "-o",     "max",    "-a",    "3",     "-z",
       "1",          "-N", "2", "-T", "10",   "--json", "x.json", "--csv", "x.csv", "--no-bind"});
  ASSERT_TRUE(r.options) << r.output;
  const RunOptions& o = *r.options;
  EXPECT_STREQ(o.collective->name, "all_reduce");
  EXPECT_EQ(o.min_bytes, 8u);
  EXPECT_EQ(o.max_bytes, 64u << 20);
  EXPECT_EQ(o.step_factor, 2.0);
  EXPECT_EQ(o.iters, 7);
  EXPECT_EQ(o.warmup_iters, 3);
  EXPECT_EQ(o.check_iters, 2);
  EXPECT_EQ(o.dtypes, std::vector<DType>{DType::kHalf});
  EXPECT_EQ(o.ops, std::vector<RedOp>{RedOp::kMax});
  EXPECT_EQ(o.average, AverageMode::kMax);
  EXPECT_EQ(o.blocking, 1);
  EXPECT_EQ(o.run_cycles, 2);
  EXPECT_EQ(o.timeout_s, 10.0);
  EXPECT_EQ(o.json_path, "x.json");
  EXPECT_EQ(o.csv_path, "x.csv");
  EXPECT_FALSE(o.bind);
  EXPECT_FALSE(o.keep_heap);
  ParseOutcome k = parse({"all_reduce", "--keep-heap"});
  ASSERT_TRUE(k.options) << k.output;
  EXPECT_TRUE(k.options->keep_heap);
}

TEST(Options, LongFlagsAndAll) {
  ParseOutcome r = parse({"broadcast", "--minbytes=1K", "--maxbytes", "1M", "--stepfactor", "4",
                          "--datatype", "all", "--op", "all", "--root", "1"});
  ASSERT_TRUE(r.options) << r.output;
  EXPECT_EQ(r.options->dtypes.size(), all_dtypes().size());
  EXPECT_EQ(r.options->ops.size(), all_redops().size());
  EXPECT_EQ(r.options->root, 1);
  EXPECT_EQ(r.options->min_bytes, 1024u);
}

TEST(Options, DefaultsMatchDocumentation) {
  ParseOutcome r = parse({"all_reduce"});
  ASSERT_TRUE(r.options) << r.output;
  EXPECT_EQ(r.options->min_bytes, 32u << 20);
  EXPECT_EQ(r.options->iters, 20);
  EXPECT_EQ(r.options->check_iters, 1);
  EXPECT_EQ(r.options->backend, "mpi");
  EXPECT_EQ(r.options->timeout_s, 300.0);
  EXPECT_TRUE(r.options->bind);
}

TEST(Options, HelpListsRegistries) {
  ParseOutcome r = parse({"all_reduce", "--help"});
  EXPECT_FALSE(r.options);
  EXPECT_EQ(r.exit_code, 0);
  for (const char* word : {"--minbytes", "alltoall", "bfloat16", "avg", "mpi"}) {
    EXPECT_NE(r.output.find(word), std::string::npos) << word;
  }
  const std::string top = top_level_help();
  for (const auto* c : all_collectives()) EXPECT_NE(top.find(c->name), std::string::npos);
  for (const auto& b : all_backends()) EXPECT_NE(top.find(b.name), std::string::npos);
}

TEST(Options, BadInputsGiveOneClearLine) {
  EXPECT_NE(error_of({"all_reduce_x"}).find("unknown collective"), std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "-d", "float128"}).find("unknown datatype 'float128'"),
            std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "-o", "xor"}).find("unknown op 'xor'"), std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "-b", "64M", "-e", "8"}).find("larger than"),
            std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "-b", "0"}).find("must be positive"), std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "-b", "-8"}).find("-8"), std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "-e", "12Q"}).find("unknown suffix"), std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "-f", "0"}).find("stepfactor"), std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "-f", "-2"}).find("stepfactor"), std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "-b", "8", "-e", "16", "-i", "0"}).find("stepbytes"),
            std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "-n", "0"}).find("iters"), std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "-w", "-1"}).find("warmup"), std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "-c", "-1"}).find("check"), std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "-a", "4"}).find("average"), std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "-z", "4"}).find("blocking"), std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "-T", "-1"}).find("timeout"), std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "-r", "-2"}).find("root"), std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "--backend", "gloo"}).find("unknown backend 'gloo'"),
            std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "--device", "tpu"}).find("unknown device"), std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "--frobnicate"}).find("frobnicate"), std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "-n", "abc"}).find("abc"), std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "--json", "a", "--csv", "a"}).find("same file"),
            std::string::npos);
}

TEST(Options, RankThreadsNeedABackendThatRunsThem) {
  // -g N runs N ranks as threads: the nccl and own backends can, MPI ranks are processes.
  EXPECT_NE(error_of({"all_reduce", "-g", "2"}).find("MPI ranks are processes"), std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "-g", "0"}).find("at least 1"), std::string::npos);
  EXPECT_NE(error_of({"all_reduce", "-g", "2000", "--backend", "own"}).find("at most 1024"),
            std::string::npos);
  const ParseOutcome own = parse({"all_reduce", "-g", "3", "--backend", "own", "--device", "cpu"});
  ASSERT_TRUE(own.options.has_value()) << own.output;
  EXPECT_EQ(own.options->gpus_per_process, 3);
  if (find_backend("nccl")->make != nullptr) {
    EXPECT_NE(error_of({"all_reduce", "-g", "2", "--backend", "nccl", "--device", "cpu"})
                  .find("needs GPUs, not --device cpu"),
              std::string::npos);
    EXPECT_TRUE(parse({"all_reduce", "-g", "8", "--backend", "nccl"}).options.has_value());
  }
}

}  // namespace
}  // namespace fb
