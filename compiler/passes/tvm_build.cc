#include "passes/tvm_build.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "temp_dir.h"

extern char** environ;

namespace adlik::compiler {
namespace {

constexpr char kScript[] = "tvm_build.py";
constexpr int kTvmMissing = 3;  // tvm_build.py's exit status

StatusOr<std::string> FindScript() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::vector<std::filesystem::path> places;
  if (!ec) places.push_back(self.parent_path() / kScript);
  places.push_back(std::filesystem::path(ADLIK_COMPILER_SOURCE_DIR) / kScript);
  std::string tried;
  for (const auto& p : places) {
    if (std::filesystem::is_regular_file(p, ec)) return p.string();
    tried += (tried.empty() ? "" : ", ") + p.string();
  }
  return NotFound("the onnx -> tvm pass needs its script " +
                  std::string(kScript) + ", which is in none of " + tried);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

StatusOr<std::string> BuildTvmLibrary(const onnx::ModelProto& model) {
  ASSIGN_OR_RETURN(std::string script, FindScript());
  ASSIGN_OR_RETURN(TempDir dir, TempDir::Create());
  const std::string source = dir.path() + "/model.onnx";
  const std::string library = dir.path() + "/model.so";
  const std::string errors = dir.path() + "/stderr.txt";
  {
    std::ofstream out(source, std::ios::binary);
    if (!model.SerializeToOstream(&out) || !out.flush()) {
      return Internal("cannot write the model for TVM to " + source);
    }
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null",
                                   O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, errors.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const char* argv[] = {"python3", script.c_str(), source.c_str(),
                        library.c_str(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "python3", &actions, nullptr,
                              const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return Unimplemented(
        "the onnx -> tvm pass runs python3 (with the package apache-tvm), "
        "which is not on PATH: " +
        std::string(strerror(rc)));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string message = ReadFile(errors);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  if (WIFEXITED(status) && WEXITSTATUS(status) == kTvmMissing) {
    return Unimplemented("the onnx -> tvm pass: " + message);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Internal("the onnx -> tvm pass (" + script + ") failed" +
                    (message.empty() ? "" : ": " + message));
  }
  std::string bytes = ReadFile(library);
  if (bytes.empty()) {
    return Internal("the onnx -> tvm pass (" + script + ") wrote no " +
                    library);
  }
  return bytes;
}

}  // namespace adlik::compiler
