#include "server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "adlik/client/grpc_client.h"

extern char** environ;

namespace adlik::bench {
namespace fs = std::filesystem;
namespace {

// Two distinct free ports on the loopback interface (bound, read, released).
StatusOr<std::pair<int, int>> FreePorts() {
  int fds[2] = {-1, -1};
  int ports[2] = {0, 0};
  Status status;
  for (int i = 0; i < 2 && status.ok(); ++i) {
    fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fds[i] < 0 ||
        bind(fds[i], reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        getsockname(fds[i], reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      status = Unavailable("cannot find a free loopback port");
    } else {
      ports[i] = ntohs(addr.sin_port);
    }
  }
  for (int fd : fds)
    if (fd >= 0) close(fd);
  RETURN_IF_ERROR(status);
  return std::pair<int, int>{ports[0], ports[1]};
}

}  // namespace

StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    ServerProcessOptions options) {
  std::unique_ptr<ServerProcess> p(new ServerProcess());
  std::error_code ec;
  if (access(options.binary.c_str(), X_OK) != 0) {
    return NotFound("server binary " + options.binary +
                    " is not an executable (see --server)");
  }
  const fs::path model_dir =
      fs::absolute(fs::path(options.model_base_path) / options.model, ec);
  if (!fs::is_directory(model_dir, ec)) {
    return NotFound("model folder " + model_dir.string() + " does not exist");
  }
  char tmpl[] = "/tmp/adlik_bench_repo_XXXXXX";
  if (mkdtemp(tmpl) == nullptr)
    return Internal("cannot make a temporary folder");
  p->repository_ = tmpl;
  fs::create_directory_symlink(model_dir,
                               fs::path(p->repository_) / options.model, ec);
  if (ec)
    return Internal("cannot link " + model_dir.string() + ": " + ec.message());

  ASSIGN_OR_RETURN(auto ports, FreePorts());
  p->grpc_port_ = ports.first;
  p->http_port_ = ports.second;
  p->command_ = {
      options.binary,
      "--model_base_path=" + p->repository_,
      "--grpc_port=" + std::to_string(p->grpc_port_),
      "--http_port=" + std::to_string(p->http_port_),
      "--address=127.0.0.1",
      "--grpc_max_message_mb=" + std::to_string(options.grpc_max_message_mb),
      "--http_max_body_mb=" + std::to_string(options.http_max_body_mb)};
  if (!options.runtime_dir.empty())
    p->command_.push_back("--runtime_dir=" + options.runtime_dir);
  if (options.cores > 0)
    p->command_.push_back("--cores=" + std::to_string(options.cores));
  for (const auto& a : options.extra_args) p->command_.push_back(a);
  p->options_ = std::move(options);

  std::vector<char*> argv;
  for (auto& a : p->command_) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO,
                                   p->options_.log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  const int rc =
      posix_spawn(&p->pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    p->pid_ = -1;
    return Internal("cannot start " + p->options_.binary + ": " +
                    std::strerror(rc));
  }
  RETURN_IF_ERROR(
      p->WaitReady(p->options_.model, p->options_.startup_timeout_s));
  return p;
}

Status ServerProcess::WaitReady(const std::string& model, int timeout_s) {
  client::GrpcClientOptions co;
  co.url = grpc_url();
  co.timeout_ms = 2000;
  ASSIGN_OR_RETURN(auto client, client::GrpcClient::Create(co));
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    int wstatus = 0;
    if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return Unavailable("the server exited before model '" + model +
                         "' was ready:\n" + LogTail());
    }
    auto ready = client->IsModelReady(model);
    if (ready.ok() && *ready) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return DeadlineExceeded("model '" + model + "' not ready after " +
                          std::to_string(timeout_s) + " s:\n" + LogTail());
}

Status ServerProcess::Stop(int timeout_s) {
  if (pid_ < 0) return Status::Ok();
  kill(pid_, SIGTERM);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int wstatus = 0;
  while (true) {
    const pid_t r = waitpid(pid_, &wstatus, WNOHANG);
    if (r == pid_) break;
    if (r < 0 || std::chrono::steady_clock::now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &wstatus, 0);
      pid_ = -1;
      return Internal("the server did not stop within " +
                      std::to_string(timeout_s) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  pid_ = -1;
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return Internal("the server exited with status " + std::to_string(wstatus) +
                    ":\n" + LogTail());
  }
  return Status::Ok();
}

ServerProcess::~ServerProcess() {
  (void)Stop();
  if (!repository_.empty()) {
    std::error_code ec;
    fs::remove_all(repository_, ec);  // removes the link, not what it points to
  }
}

std::string ServerProcess::LogTail() const {
  std::ifstream in(options_.log_path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string tail;
  for (size_t i = lines.size() > 30 ? lines.size() - 30 : 0; i < lines.size();
       ++i) {
    tail += "  " + lines[i] + "\n";
  }
  return tail;
}

}  // namespace adlik::bench
