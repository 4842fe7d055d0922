// The /v1 REST routes of the original Adlik's API and of TensorFlow
// Serving's, which share their paths, over the server core. KServeHttpHandler
// hands it every /v1 request after its authentication check, so both APIs
// live on the HTTP port beside /v2, with the same TLS, limits, timeouts and
// drain.
//
// Routes ({v} a decimal version; {l} a version label, which this server has
// none of: 404 naming it):
//   POST /v1/models/{m}[/versions/{v}|/labels/{l}]:predict
//        Adlik's proto3-JSON PredictRequest or TensorFlow Serving's
//        "instances"/"inputs" body, told apart by the body: an object with
//        "model_spec", "batch_size" or "output_filter", or whose "inputs"
//        holds TensorProto objects ("dtype", "tensor_shape",
//        "tensor_content", typed "..._val" lists), is Adlik's; any other is
//        TensorFlow Serving's. The path's model and version win over the
//        body's model_spec.
//   POST .../:classify | :regress        501 (TensorFlow Serving's; refused)
//   GET  /v1/models/{m}[/versions/{v}|/labels/{l}]   TensorFlow Serving's
//        model status
//   GET  /v1/models/{m}[/versions/{v}|/labels/{l}]/metadata   both APIs'
//        metadata in one object: TensorFlow Serving's "model_spec" and
//        "metadata" {"signature_def": ...}, and Adlik's "config" and
//        "version_status" (only those of the APIs turned on).
// Errors: {"error": "..."} with the status of kserve::HttpStatusFor.
//
// Thread-safety: Handle is called concurrently from the HTTP threads.
// Lifetime: `core` must outlive the handler.
#ifndef ADLIK_FRONTENDS_HTTP_V1_HTTP_HANDLER_H_
#define ADLIK_FRONTENDS_HTTP_V1_HTTP_HANDLER_H_

#include <rapidjson/document.h>

#include <string>

#include "frontends/http/http_server.h"
#include "server/server_core.h"

namespace adlik::http {

struct V1Apis {
  bool adlik = true;
  bool tfserving = true;
};

// Whether a :predict body (a parsed JSON document) is Adlik's, by its shape.
bool IsAdlikPredictBody(const rapidjson::Document& body);

class V1HttpHandler : public HttpHandler {
 public:
  V1HttpHandler(ServerCore* core, V1Apis apis) : core_(core), apis_(apis) {}

  void Handle(HttpRequest request, HttpResponder respond) override;

 private:
  struct Target {
    std::string model, version, label;
    std::string verb;       // "predict", ... (POST); empty for GET
    bool metadata = false;  // GET .../metadata
  };
  void Predict(HttpRequest& request, const Target& target,
               HttpResponder respond);
  void AdlikPredict(HttpRequest& request, const Target& target,
                    HttpResponder respond);
  void TfServingPredict(const rapidjson::Document& body, const Target& target,
                        const HttpRequest& request, HttpResponder respond);
  HttpResponse Status(const Target& target);
  HttpResponse Metadata(const Target& target);

  ServerCore* const core_;
  const V1Apis apis_;
};

}  // namespace adlik::http

#endif  // ADLIK_FRONTENDS_HTTP_V1_HTTP_HANDLER_H_
