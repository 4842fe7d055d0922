#include "frontends/kserve/kserve_render.h"

#include <string>

#include "frontends/kserve/kserve_protocol.h"

namespace adlik::kserve {
namespace {

void Render(const DurationStat& d, inference::StatisticDuration* out) {
  out->set_count(d.count);
  out->set_ns(d.ns);
}

void Render(const std::vector<TensorMetadata>& tensors,
            google::protobuf::RepeatedPtrField<
                inference::ModelMetadataResponse::TensorMetadata>* out) {
  for (const TensorMetadata& t : tensors) {
    auto* m = out->Add();
    m->set_name(t.name);
    m->set_datatype(std::string(DataTypeName(t.type)));
    m->mutable_shape()->Add(t.shape.begin(), t.shape.end());
  }
}

}  // namespace

void RenderServerMetadata(std::string_view name, std::string_view version,
                          inference::ServerMetadataResponse* out) {
  out->set_name(std::string(name));
  out->set_version(std::string(version));
  for (const std::string& e : Extensions()) out->add_extensions(e);
}

void RenderModelMetadata(const ModelMetadata& metadata,
                         inference::ModelMetadataResponse* out) {
  out->set_name(metadata.name);
  for (const std::string& v : metadata.versions) out->add_versions(v);
  out->set_platform(metadata.platform);
  Render(metadata.inputs, out->mutable_inputs());
  Render(metadata.outputs, out->mutable_outputs());
}

void RenderStatistics(const std::vector<ModelStatsEntry>& entries,
                      inference::ModelStatisticsResponse* out) {
  for (const ModelStatsEntry& e : entries) {
    auto* m = out->add_model_stats();
    m->set_name(e.name);
    m->set_version(e.version);
    m->set_last_inference(e.stats.last_inference_ms);
    m->set_inference_count(e.stats.inference_count);
    m->set_execution_count(e.stats.execution_count);
    auto* s = m->mutable_inference_stats();
    Render(e.stats.success, s->mutable_success());
    Render(e.stats.fail, s->mutable_fail());
    Render(e.stats.queue, s->mutable_queue());
    Render(e.stats.compute_input, s->mutable_compute_input());
    Render(e.stats.compute_infer, s->mutable_compute_infer());
    Render(e.stats.compute_output, s->mutable_compute_output());
    // No response cache here: Triton's cache statistics, always zero.
    s->mutable_cache_hit();
    s->mutable_cache_miss();
    for (const auto& [size, b] : e.stats.batch_stats) {
      auto* bs = m->add_batch_stats();
      bs->set_batch_size(size);
      Render(b.compute_input, bs->mutable_compute_input());
      Render(b.compute_infer, bs->mutable_compute_infer());
      Render(b.compute_output, bs->mutable_compute_output());
    }
  }
}

void RenderIndex(const std::vector<ModelIndexEntry>& entries, bool ready_only,
                 inference::RepositoryIndexResponse* out) {
  for (const ModelIndexEntry& e : entries) {
    if (ready_only && e.state != ModelState::kReady) continue;
    auto* m = out->add_models();
    m->set_name(e.name);
    m->set_version(e.version);
    m->set_state(std::string(ModelStateName(e.state)));
    m->set_reason(e.reason);
  }
}

}  // namespace adlik::kserve
