// An adlik_serving child process for adlik_bench: started on free loopback
// ports with one model, waited for until that model is ready, stopped with
// SIGTERM (SIGKILL if it does not exit in time).
//
// The server is given a repository of its own (a temporary folder holding a
// link to the one model folder), so that it loads only the model measured.
// Its output goes to `log_path`.
//
// Thread-safety: use from one thread.
// Ownership: the destructor stops the process and removes the temporary
// repository.
#ifndef ADLIK_TOOLS_BENCH_SERVER_PROCESS_H_
#define ADLIK_TOOLS_BENCH_SERVER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "adlik/status.h"

namespace adlik::bench {

struct ServerProcessOptions {
  std::string binary;           // adlik_serving
  std::string model_base_path;  // the repository holding `model`
  std::string model;
  std::string runtime_dir;  // empty: the server's default
  int cores = 0;            // --cores; 0: not passed (the server's default)
  int grpc_max_message_mb = 64;
  int http_max_body_mb = 64;
  std::vector<std::string> extra_args;  // appended as given
  std::string log_path;                 // required
  int startup_timeout_s = 300;          // until the model is ready
};

class ServerProcess {
 public:
  static StatusOr<std::unique_ptr<ServerProcess>> Start(
      ServerProcessOptions options);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::string grpc_url() const {
    return "127.0.0.1:" + std::to_string(grpc_port_);
  }
  std::string http_url() const {
    return "127.0.0.1:" + std::to_string(http_port_);
  }
  // The command line it was started with, for the report.
  const std::vector<std::string>& command() const { return command_; }

  // SIGTERM, then waits up to `timeout_s`, then SIGKILL. Returns an error
  // when the server did not exit 0. Idempotent.
  Status Stop(int timeout_s = 60);

 private:
  ServerProcess() = default;
  // The last lines of the log, for error messages.
  std::string LogTail() const;
  Status WaitReady(const std::string& model, int timeout_s);

  ServerProcessOptions options_;
  std::string repository_;  // temporary; removed by the destructor
  std::vector<std::string> command_;
  pid_t pid_ = -1;
  int grpc_port_ = 0;
  int http_port_ = 0;
};

}  // namespace adlik::bench

#endif  // ADLIK_TOOLS_BENCH_SERVER_PROCESS_H_
