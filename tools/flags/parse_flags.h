// Command-line parsing shared by the tools: absl's flags, with a --help that
// lists the calling tool's own flags and a help request that exits 0.
//
// absl lists, by default, only the flags of a file named after the program;
// ours are defined in tools/<tool>/main.cc, so --help printed "No flags
// matched". ParseFlags points the usage filters at the tool's file.
//
// Thread-safety: call once, from main, before any other thread starts.
#ifndef ADLIK_TOOLS_FLAGS_PARSE_FLAGS_H_
#define ADLIK_TOOLS_FLAGS_PARSE_FLAGS_H_

#include <optional>
#include <string>

namespace adlik::tools {

struct FlagsUsage {
  // The file that defines the tool's flags, from "tools/" on:
  // "tools/bench/main.cc".
  std::string flags_file;
  // What --version prints (a line).
  std::string version;
};

// Parses argv as absl::ParseCommandLine does (an unknown flag aborts with its
// name). A help or version request (--help, --helpfull, --help=SUBSTRING,
// --version) is answered on stdout and gives the exit status to return
// (0); otherwise nullopt.
std::optional<int> ParseFlags(int argc, char** argv, const FlagsUsage& usage);

}  // namespace adlik::tools

#endif  // ADLIK_TOOLS_FLAGS_PARSE_FLAGS_H_
