// The server core's answers as KServe v2 messages: server and model metadata,
// statistics and the repository index, with the protocol's rules (which
// fields, their names, which versions, the statistics Triton reports that
// this server does not keep). The gRPC front end sends these messages; the
// HTTP front end writes them as JSON (proto_json.h). One set of rules, so the
// two front ends answer with the same content.
//
// Thread-safety: pure functions.
#ifndef ADLIK_FRONTENDS_KSERVE_KSERVE_RENDER_H_
#define ADLIK_FRONTENDS_KSERVE_KSERVE_RENDER_H_

#include <string_view>
#include <vector>

#include "base/model_state.h"
#include "frontends/grpc/grpc_service.pb.h"
#include "server/core_types.h"

namespace adlik::kserve {

void RenderServerMetadata(std::string_view name, std::string_view version,
                          inference::ServerMetadataResponse* out);

void RenderModelMetadata(const ModelMetadata& metadata,
                         inference::ModelMetadataResponse* out);

void RenderStatistics(const std::vector<ModelStatsEntry>& entries,
                      inference::ModelStatisticsResponse* out);

// `ready_only`: only the versions that are READY.
void RenderIndex(const std::vector<ModelIndexEntry>& entries, bool ready_only,
                 inference::RepositoryIndexResponse* out);

}  // namespace adlik::kserve

#endif  // ADLIK_FRONTENDS_KSERVE_KSERVE_RENDER_H_
