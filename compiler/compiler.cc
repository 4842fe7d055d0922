#include "compiler.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "config/model_config.h"
#include "default_graph.h"
#include "onnx_model.h"
#include "passes/select_outputs.h"
#include "sources/native_passes.h"
#include "sources/source_passes.h"
#include "temp_dir.h"

namespace adlik::compiler {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void Report(const ProgressCallback& progress, ProgressEvent event) {
  if (progress) progress(event);
}

// Runs `body` as an unnumbered step named `name`, reporting it.
template <typename F>
auto Step(const ProgressCallback& progress, const std::string& name, F body) {
  Report(progress, {ProgressEvent::Phase::kStart, 0, 0, name, "", 0});
  const auto start = Clock::now();
  auto result = body();
  Report(progress, {ProgressEvent::Phase::kDone, 0, 0, name, "",
                    SecondsSince(start), result.ok()});
  return result;
}

std::string Join(const std::vector<std::string>& parts, size_t from) {
  std::string s;
  for (size_t i = from; i < parts.size(); ++i)
    s += (s.empty() ? "" : "; ") + parts[i];
  return s;
}

Status CheckInputNames(const CompileRequest& request,
                       const onnx::ModelProto& model) {
  std::vector<std::string> names;
  for (const auto* in : RealInputs(model.graph())) names.push_back(in->name());
  for (const std::string& name : request.input_names) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return InvalidArgument("input_names: '" + name +
                             "' is not an input of the model (its inputs: " +
                             Join(names, 0) + ")");
    }
  }
  return Status::Ok();
}

// The instance kind of the config's instance_group, as the server reads it
// (auto and unset: the CPU).
host::DeviceKind InstanceKind(const CompileRequest& request) {
  if (request.instance_kind == "gpu") return host::DeviceKind::kGpu;
  if (request.instance_kind == "model") return host::DeviceKind::kVendor;
  return host::DeviceKind::kCpu;
}

}  // namespace

StatusOr<Plan> PlanCompile(const ConversionGraph& graph,
                           const CompileRequest& request,
                           const Format& source) {
  Plan plan;
  ASSIGN_OR_RETURN(plan.target, FindTarget(request.serving_type));
  plan.required_properties = plan.target.required_properties;
  if (request.static_shapes) plan.required_properties |= kStaticShapes;
  if (request.enable_fp16) plan.required_properties |= kFp16;
  if (request.enable_int8) plan.required_properties |= kInt8;
  ASSIGN_OR_RETURN(plan.path, graph.FindPath(source, plan.target.format,
                                             plan.required_properties));
  return plan;
}

namespace {

// Runs the plan's passes [begin, end) (numbered in the whole plan).
StatusOr<Artifact> RunPasses(const Plan& plan, int begin, int end,
                             Artifact model, const CompileRequest& request,
                             const ProgressCallback& progress) {
  if (plan.path.formats.size() <= static_cast<size_t>(begin) ||
      !(model.format == plan.path.formats[begin])) {
    return InvalidArgument(
        "the model is " + FormatName(model.format) +
        " but the plan starts from " +
        (plan.path.formats.size() <= static_cast<size_t>(begin)
             ? std::string("nothing")
             : FormatName(plan.path.formats[begin])));
  }
  const int steps = static_cast<int>(plan.path.passes.size());
  for (int i = begin; i < end; ++i) {
    const Pass& pass = *plan.path.passes[i];
    const Format& to = plan.path.formats[i + 1];
    const std::string edge = FormatName(model.format) + " -> " + FormatName(to);
    Report(progress,
           {ProgressEvent::Phase::kStart, i + 1, steps, pass.name, edge, 0});
    const auto start = Clock::now();
    if (!pass.available()) {
      return Unimplemented("pass '" + pass.name + "' needs " + pass.Missing());
    }
    const size_t notes_before = model.notes.size();
    StatusOr<Artifact> result = Status(StatusCode::kInternal, "pass threw");
    try {
      result = pass.run(std::move(model), request);
    } catch (const std::exception& e) {
      result = Internal(std::string("unexpected exception: ") + e.what());
    }
    if (!result.ok())
      return result.status().WithPrefix("pass '" + pass.name + "'");
    model = std::move(result).value();
    model.format = to;
    if (to.base == "onnx") {
      std::string warning;
      RETURN_IF_ERROR(
          CheckOnnx(model.onnx, "after pass '" + pass.name + "'", &warning));
      if (!warning.empty()) model.notes.push_back(warning);
    }
    Report(progress, {ProgressEvent::Phase::kDone, i + 1, steps, pass.name,
                      Join(model.notes, notes_before), SecondsSince(start)});
  }
  return model;
}

}  // namespace

StatusOr<Artifact> RunPlan(const Plan& plan, Artifact model,
                           const CompileRequest& request,
                           const ProgressCallback& progress) {
  return RunPasses(plan, 0, static_cast<int>(plan.path.passes.size()),
                   std::move(model), request, progress);
}

namespace {

void ReportPlan(const ProgressCallback& progress, const Plan& plan) {
  Report(progress, {ProgressEvent::Phase::kDone, 0,
                    static_cast<int>(plan.path.passes.size()), "plan",
                    DescribePath(plan.path), 0});
}

// The compiled model before its runtime loads it: the artefact, the spec the
// runtime gets, and, on a path through ONNX, the ONNX source the check runs.
struct Prepared {
  Artifact compiled;
  onnx::ModelProto model;
  host::ModelSpec spec;
  std::optional<Status> declared_error;  // why spec.declared is empty
  std::vector<std::string> notes;
  std::vector<std::string> warnings;
};

// A path that does not go through ONNX: the source as it is (no pass), or
// what the passes make of it, with the runtime's parameters.
StatusOr<Prepared> RunNativePath(const Plan& plan, Artifact source,
                                 const CompileRequest& request,
                                 const ProgressCallback& progress) {
  // (A TorchScript model's output_names name its outputs, as for ONNX.)
  if (!request.output_names.empty() && source.format.base != "torchscript") {
    return InvalidArgument("output_names: serving_type '" +
                           request.serving_type +
                           "' serves the model with all its outputs (path " +
                           DescribePath(plan.path) +
                           "); pruning outputs needs a path through ONNX");
  }
  Prepared p;
  if (plan.path.passes.empty()) {
    ASSIGN_OR_RETURN(p.compiled, Step(progress, "load", [&] {
                       return ReadNativeModel(std::move(source), request);
                     }));
  } else {
    ASSIGN_OR_RETURN(p.compiled,
                     RunPlan(plan, std::move(source), request, progress));
  }
  p.notes = p.compiled.notes;
  p.spec.name = request.model_name;
  p.spec.max_batch_size = request.max_batch_size;
  for (const auto& [key, value] : p.compiled.parameters)
    p.spec.parameters.emplace_back(key, value);
  return p;
}

// A path through ONNX: the source's converter first when it is of another
// framework (`converted`), then the ONNX passes; the result's spec declares
// the tensors of the ONNX model it came from (for engines that report none).
StatusOr<Prepared> RunOnnxPath(const Plan& plan, bool converted,
                               Artifact source, const CompileRequest& request,
                               const ProgressCallback& progress) {
  Prepared p;
  int first = 0;
  if (converted) {
    ASSIGN_OR_RETURN(
        source, RunPasses(plan, 0, 1, std::move(source), request, progress));
    first = 1;
  }
  p.model = std::move(source.onnx);
  p.notes = std::move(source.notes);

  std::string warning;
  RETURN_IF_ERROR(CheckOnnx(p.model, "input_model", &warning));
  if (!warning.empty()) p.warnings.push_back(warning);
  RETURN_IF_ERROR(CheckInputNames(request, p.model));
  if (!request.output_names.empty()) {
    RETURN_IF_ERROR(SelectOutputs(request.output_names, &p.model));
  }

  Artifact onnx_source;
  onnx_source.format = Format{"onnx"};
  onnx_source.onnx = p.model;
  ASSIGN_OR_RETURN(
      p.compiled,
      RunPasses(plan, first, static_cast<int>(plan.path.passes.size()),
                std::move(onnx_source), request, progress));
  p.notes.insert(p.notes.end(), p.compiled.notes.begin(),
                 p.compiled.notes.end());
  if (!p.compiled.engine) {
    ASSIGN_OR_RETURN(p.compiled.engine, SerializeOnnx(p.compiled.onnx));
  }
  p.spec.name = request.model_name;
  p.spec.max_batch_size = request.max_batch_size;
  onnx::ModelProto inferred = p.compiled.onnx;
  const Status inferred_ok = InferShapes(&inferred);
  StatusOr<Signature> declared = inferred_ok.ok()
                                     ? OnnxSignature(inferred)
                                     : StatusOr<Signature>(inferred_ok);
  if (declared.ok()) {
    p.spec.declared = *declared;
  } else {
    p.declared_error = declared.status();
  }
  return p;
}

// CompileModel once the plan and the runtime are known.
StatusOr<CompileResult> CompilePlanned(const Plan& plan, RuntimePlugin& runtime,
                                       RuntimeRegistry& runtimes,
                                       Artifact source,
                                       const CompileRequest& request,
                                       const ProgressCallback& progress) {
  CompileResult result;
  result.path = DescribePath(plan.path);
  result.runtime = runtime.info().name;
  result.runtime_path = runtime.path();
  if (request.version) {
    // Fail before the work, not after it (WriteRepository checks again).
    std::error_code ec;
    const auto dir = std::filesystem::path(request.export_path) /
                     request.model_name / std::to_string(*request.version);
    if (std::filesystem::exists(dir, ec)) {
      return AlreadyExists("version " + std::to_string(*request.version) +
                           " of '" + request.model_name + "' exists already (" +
                           dir.string() +
                           "); choose another version or leave version out");
    }
  }

  // A source of another framework: the check compares with that framework's
  // own outputs. Its converter is the first pass, unless the path reaches a
  // runtime that serves it without ONNX (native: the artefact is the model's
  // own file or folder, and the runtime reports its signature).
  std::optional<PythonConverter> converter =
      FindSourceConverter(source.format.base);
  const std::string source_path = source.source_path;
  const bool native =
      converter &&
      std::none_of(plan.path.formats.begin(), plan.path.formats.end(),
                   [](const Format& f) { return f.base == "onnx"; });
  if (native) converter = NativeReference(plan.path, source.format.base);
  ASSIGN_OR_RETURN(
      Prepared prepared,
      native ? RunNativePath(plan, std::move(source), request, progress)
             : RunOnnxPath(plan, converter.has_value(), std::move(source),
                           request, progress));
  Artifact& compiled = prepared.compiled;
  const onnx::ModelProto& model = prepared.model;
  host::ModelSpec& spec = prepared.spec;
  result.notes = std::move(prepared.notes);
  result.warnings = std::move(prepared.warnings);
  const std::string bytes =
      compiled.engine ? std::move(*compiled.engine) : std::string();

  // The compiled model as its runtime loads it.
  ASSIGN_OR_RETURN(TempDir scratch, TempDir::Create());
  auto candidate = LoadThroughRuntime(runtime, scratch.path(), spec, bytes,
                                      compiled.side_files, compiled.folder,
                                      compiled.model_filename);
  if (!candidate.ok()) {
    return candidate.status().WithPrefix(
        "the compiled model does not load in its runtime");
  }
  const Signature signature = EffectiveSignature(**candidate);
  if (signature.inputs.empty() && signature.outputs.empty()) {
    if (native) {
      return Internal("runtime '" + runtime.info().name +
                      "' reports no tensors of the model, so no config can "
                      "be written for it");
    }
    if (prepared.declared_error) {
      return prepared.declared_error->WithPrefix(
          "runtime '" + runtime.info().name +
          "' reports no tensors of the compiled model, and its ONNX model "
          "declares none usable");
    }
  }
  ASSIGN_OR_RETURN(inference::ModelConfig config,
                   MakeModelConfig(request, runtime.info().name, signature));
  for (const auto& [key, value] : compiled.parameters) {
    (*config.mutable_parameters())[key].set_string_value(value);
  }
  if (!compiled.model_filename.empty()) {
    config.set_default_model_filename(compiled.model_filename);
  }

  if (!request.numeric_check) {
    result.check_skipped = "numeric_check is false";
  } else {
    NumericCheckOptions options;
    options.tolerance = request.tolerance.value_or(
        (plan.required_properties & kInt8)   ? kInt8Tolerance
        : (plan.required_properties & kFp16) ? kFp16Tolerance
                                             : kFp32Tolerance);
    options.seed = request.seed;
    options.max_batch_size = request.max_batch_size;
    ASSIGN_OR_RETURN(
        NumericReport report,
        Step(progress, "numeric check", [&]() -> StatusOr<NumericReport> {
          Status instance =
              (*candidate)->AddInstances(1, InstanceKind(request));
          if (!instance.ok()) {
            return instance.WithPrefix(
                "numeric check: the compiled model (set numeric_check to "
                "false to skip the check)");
          }
          if (converter) {
            // The source in its own framework, fed and read by the names
            // of the ONNX model it was converted to, or (native) by the
            // names its runtime reports.
            Signature signature = EffectiveSignature(**candidate);
            if (!native) {
              ASSIGN_OR_RETURN(signature, OnnxSignature(model));
            }
            CheckedModel reference{
                std::move(signature), [&](std::span<const TensorView> inputs,
                                          const std::vector<std::string>& names,
                                          std::vector<Tensor>* outputs) {
                  return converter->Run(source_path, request, inputs, names,
                                        outputs);
                }};
            return CompareRuns(reference, Checked(**candidate), options);
          }
          auto reference = LoadReference(runtimes, scratch.path(), model,
                                         request.max_batch_size);
          if (!reference.ok()) {
            return reference.status().WithPrefix(
                "numeric check: the source model");
          }
          return CompareModels(**reference, **candidate, options);
        }));
    if (!report.passed) {
      std::string worst;
      for (const auto& o : report.outputs) {
        if (o.max_rel_error > options.tolerance) {
          worst += (worst.empty() ? "" : ", ") + o.name;
        }
      }
      return Internal(
          "numeric check failed on output(s) " + worst + ": " +
          report.Summary() + " on inputs " + report.inputs +
          "; nothing was written (raise the tolerance to accept it)");
    }
    result.check = std::move(report);
  }
  candidate->reset();  // before its files go

  const std::string& filename = compiled.model_filename.empty()
                                    ? runtime.info().default_model_filename
                                    : compiled.model_filename;
  ASSIGN_OR_RETURN(result.written, Step(progress, "write", [&] {
                     return WriteRepository(request, config, filename, bytes,
                                            compiled.side_files,
                                            compiled.folder);
                   }));
  return result;
}

}  // namespace

StatusOr<CompileResult> CompileModel(onnx::ModelProto model,
                                     const CompileRequest& request,
                                     RuntimeRegistry& runtimes,
                                     const ProgressCallback& progress) {
  const ConversionGraph graph = DefaultGraph();
  ASSIGN_OR_RETURN(Plan plan, PlanCompile(graph, request, Format{"onnx"}));
  ReportPlan(progress, plan);
  ASSIGN_OR_RETURN(RuntimePlugin * runtime,
                   TargetRuntime(runtimes, plan.target));
  Artifact source;
  source.format = Format{"onnx"};
  source.onnx = std::move(model);
  return CompilePlanned(plan, *runtime, runtimes, std::move(source), request,
                        progress);
}

StatusOr<CompileResult> CompileFile(const CompileRequest& request,
                                    RuntimeRegistry& runtimes,
                                    const ProgressCallback& progress) {
  std::error_code ec;
  if (!std::filesystem::exists(request.input_model, ec)) {
    return NotFound("input_model '" + request.input_model + "': no such file");
  }
  ASSIGN_OR_RETURN(Format source, SourceFormat(request.input_model));
  // Plan before reading: an unreachable target fails before any work.
  const ConversionGraph graph = DefaultGraph();
  ASSIGN_OR_RETURN(Plan plan, PlanCompile(graph, request, source));
  ReportPlan(progress, plan);
  ASSIGN_OR_RETURN(RuntimePlugin * runtime,
                   TargetRuntime(runtimes, plan.target));
  Artifact model;
  model.format = source;
  if (source.base == "onnx") {
    ASSIGN_OR_RETURN(model.onnx, Step(progress, "load", [&] {
                       return ReadOnnxFile(request.input_model);
                     }));
  } else {
    model.source_path = request.input_model;  // its converter reads it
  }
  return CompilePlanned(plan, *runtime, runtimes, std::move(model), request,
                        progress);
}

}  // namespace adlik::compiler
