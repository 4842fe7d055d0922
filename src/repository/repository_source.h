// What the model repository holds, as the lifecycle sees it: the models, and
// for each its versions, its config and fingerprints that change whenever a
// file that matters changes (config.pbtxt, label files, the version folders'
// contents). The lifecycle compares fingerprints between polls to find what
// was added, removed or edited.
//
// RepositorySource is an interface so that the lifecycle is tested on an
// in-memory repository; FileSystemSource reads the real one.
//
// Thread-safety: FileSystemSource is safe from any thread.
#ifndef ADLIK_REPOSITORY_REPOSITORY_SOURCE_H_
#define ADLIK_REPOSITORY_REPOSITORY_SOURCE_H_

#include <map>
#include <string>
#include <vector>

#include "adlik/status.h"
#include "config/model_config.pb.h"

namespace adlik::repository {

struct ModelSnapshot {
  std::string name;
  std::string path;               // BASE/NAME
  std::vector<int64_t> versions;  // ascending
  bool has_config = false;        // config.pbtxt is present
  Status config_status;           // why config.pbtxt could not be read
  inference::ModelConfig config;  // as read (not yet completed)
  // Changes when config.pbtxt or any other file directly in BASE/NAME does.
  std::string model_fingerprint;
  // Per version: changes when any file under BASE/NAME/VERSION does.
  std::map<int64_t, std::string> version_fingerprints;
};

class RepositorySource {
 public:
  virtual ~RepositorySource() = default;
  // The model folder names, sorted. Fails only if the repository is unreadable.
  virtual StatusOr<std::vector<std::string>> ListModels() const = 0;
  // One model; NOT_FOUND when its folder is gone.
  virtual StatusOr<ModelSnapshot> Read(const std::string& name) const = 0;
};

class FileSystemSource : public RepositorySource {
 public:
  explicit FileSystemSource(std::string base_path)
      : base_path_(std::move(base_path)) {}
  StatusOr<std::vector<std::string>> ListModels() const override;
  StatusOr<ModelSnapshot> Read(const std::string& name) const override;
  const std::string& base_path() const { return base_path_; }

 private:
  const std::string base_path_;
};

}  // namespace adlik::repository

#endif  // ADLIK_REPOSITORY_REPOSITORY_SOURCE_H_
