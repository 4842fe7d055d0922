#include "parse_flags.h"

#include <iostream>
#include <string_view>

#include "absl/flags/internal/parse.h"
#include "absl/flags/internal/usage.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"

namespace adlik::tools {

std::optional<int> ParseFlags(int argc, char** argv, const FlagsUsage& usage) {
  absl::FlagsUsageConfig config;
  // The filters see file names as normalize_filename left them.
  config.normalize_filename = [](absl::string_view file) {
    const size_t tools = file.rfind("tools/");
    return std::string(tools == absl::string_view::npos ? file
                                                        : file.substr(tools));
  };
  config.contains_help_flags = [file = usage.flags_file](absl::string_view f) {
    return f == file;
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  config.version_string = [version = usage.version] { return version + "\n"; };
  absl::SetFlagsUsageConfig(std::move(config));
  // absl::ParseCommandLine, except that a help request exits 0, not 1: the
  // user asked for it and got it.
  absl::flags_internal::ParseCommandLineImpl(
      argc, argv, absl::flags_internal::ArgvListAction::kRemoveParsedArgs,
      absl::flags_internal::UsageFlagsAction::kIgnoreUsage,
      absl::flags_internal::OnUndefinedFlag::kAbortIfUndefined);
  const int status = absl::flags_internal::HandleUsageFlags(
      std::cout, absl::ProgramUsageMessage());
  if (status == -1) return std::nullopt;
  return 0;
}

}  // namespace adlik::tools
