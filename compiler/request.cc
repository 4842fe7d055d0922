#include "request.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include "repository/repository.h"
#include "targets.h"

namespace adlik::compiler {
namespace {

using rapidjson::Value;

enum class Kind {
  kString,
  kInt,
  kBool,
  kNumber,
  kStringList,
  kIntList,
  kFormatList,  // list of "channels_first" | "channels_last" | null
  kShapeMap,    // {"name": [dims...]}
};

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kString:
      return "a string";
    case Kind::kInt:
      return "an integer";
    case Kind::kBool:
      return "a boolean";
    case Kind::kNumber:
      return "a number";
    case Kind::kStringList:
      return "a list of strings";
    case Kind::kIntList:
      return "a list of integers";
    case Kind::kFormatList:
      return "a list of \"channels_first\", \"channels_last\" or null";
    case Kind::kShapeMap:
      return "an object of input name -> list of integers";
  }
  return "?";
}

std::string_view JsonTypeName(const Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "a boolean";
  if (v.IsInt64() || v.IsUint64()) return "an integer";
  if (v.IsNumber()) return "a number";
  if (v.IsString()) return "a string";
  if (v.IsArray()) return "a list";
  return "an object";
}

struct KeyDef {
  const char* name;
  Kind kind;
  bool required;
  const char* help;
  // Stores an already type-checked value; may refuse it (range, enum).
  std::function<Status(const Value&, CompileRequest*)> set;
};

Status KeyError(std::string_view key, std::string message) {
  return InvalidArgument("key '" + std::string(key) + "': " + message);
}

// An integer in [lo, hi], named `key` in the message.
StatusOr<int64_t> IntIn(const Value& v, std::string_view key, int64_t lo,
                        int64_t hi) {
  const int64_t x = v.GetInt64();
  if (x < lo || x > hi) {
    return KeyError(key, "must be between " + std::to_string(lo) + " and " +
                             std::to_string(hi) + ", got " + std::to_string(x));
  }
  return x;
}

std::vector<std::string> Strings(const Value& v) {
  std::vector<std::string> out;
  for (const auto& e : v.GetArray())
    out.emplace_back(e.GetString(), e.GetStringLength());
  return out;
}

std::string Str(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

Status OneOf(std::string_view key, const std::string& value,
             std::initializer_list<std::string_view> allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end())
    return Status::Ok();
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  return KeyError(key, "'" + value + "' is not one of " + list);
}

Status ExistingFolder(std::string_view key, const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    return KeyError(key, "'" + path + "' is not a folder");
  }
  return Status::Ok();
}

constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();

const std::vector<KeyDef>& Keys() {
  static const std::vector<KeyDef> keys = {
      {"input_model", Kind::kString, true,
       "the source model: a file (.onnx, .pt, .h5, .tflite, .joblib, ...) or a "
       "folder (SavedModel, Paddle)",
       [](const Value& v, CompileRequest* r) {
         r->input_model = Str(v);
         if (r->input_model.empty()) return KeyError("input_model", "is empty");
         return Status::Ok();
       }},
      {"model_name", Kind::kString, true,
       "the model's name: its folder in export_path",
       [](const Value& v, CompileRequest* r) {
         r->model_name = Str(v);
         if (!repository::IsValidModelName(r->model_name)) {
           return KeyError("model_name", "'" + r->model_name +
                                             "' is not a usable folder name");
         }
         return Status::Ok();
       }},
      {"export_path", Kind::kString, true,
       "the model repository to write into (created if missing)",
       [](const Value& v, CompileRequest* r) {
         r->export_path = Str(v);
         if (r->export_path.empty()) return KeyError("export_path", "is empty");
         return Status::Ok();
       }},
      {"max_batch_size", Kind::kInt, true,
       "0: no batch dimension; N: the first dimension is a batch of <= N",
       [](const Value& v, CompileRequest* r) {
         ASSIGN_OR_RETURN(r->max_batch_size,
                          IntIn(v, "max_batch_size", 0, kIntMax));
         return Status::Ok();
       }},
      {"serving_type", Kind::kString, false,
       "the target: onnxruntime (default), onnx, tensorrt, topsinference, "
       "openvino, ...",
       [](const Value& v, CompileRequest* r) {
         r->serving_type = Str(v);
         return FindTarget(r->serving_type).status();
       }},
      {"version", Kind::kInt, false,
       "the version folder to write (default: the next free number)",
       [](const Value& v, CompileRequest* r) {
         ASSIGN_OR_RETURN(
             r->version,
             IntIn(v, "version", 1, std::numeric_limits<int64_t>::max()));
         return Status::Ok();
       }},
      {"input_names", Kind::kStringList, false,
       "the model's inputs, in the order the config lists them",
       [](const Value& v, CompileRequest* r) {
         r->input_names = Strings(v);
         return Status::Ok();
       }},
      {"output_names", Kind::kStringList, false,
       "the outputs to keep (graph outputs or intermediate tensors)",
       [](const Value& v, CompileRequest* r) {
         r->output_names = Strings(v);
         return Status::Ok();
       }},
      {"signature_keys", Kind::kStringList, false,
       "TensorFlow SavedModel: the signature to convert (one; default "
       "serving_default)",
       [](const Value& v, CompileRequest* r) {
         r->signature_keys = Strings(v);
         if (r->signature_keys.size() > 1) {
           return KeyError("signature_keys",
                           "names " + std::to_string(r->signature_keys.size()) +
                               " signatures; a model is compiled from one");
         }
         return Status::Ok();
       }},
      {"saved_model_tags", Kind::kStringList, false,
       "TensorFlow SavedModel: the MetaGraph's tags (one; default serve)",
       [](const Value& v, CompileRequest* r) {
         r->saved_model_tags = Strings(v);
         if (r->saved_model_tags.size() > 1) {
           return KeyError("saved_model_tags",
                           "names " +
                               std::to_string(r->saved_model_tags.size()) +
                               " tags; the converter loads one MetaGraph tag");
         }
         return Status::Ok();
       }},
      {"opset_version", Kind::kInt, false,
       "the ONNX opset a source converter writes (default: the converter's)",
       [](const Value& v, CompileRequest* r) {
         ASSIGN_OR_RETURN(r->opset_version, IntIn(v, "opset_version", 7, 30));
         return Status::Ok();
       }},
      {"input_layer_names", Kind::kStringList, false,
       "Keras .h5: the layers whose inputs are the model's inputs",
       [](const Value& v, CompileRequest* r) {
         r->input_layer_names = Strings(v);
         return Status::Ok();
       }},
      {"output_layer_names", Kind::kStringList, false,
       "Keras .h5: the layers whose outputs are the model's outputs",
       [](const Value& v, CompileRequest* r) {
         r->output_layer_names = Strings(v);
         return Status::Ok();
       }},
      {"input_formats", Kind::kFormatList, false,
       "one per input, in input_names order (config.pbtxt format)",
       [](const Value& v, CompileRequest* r) {
         r->input_formats.clear();
         for (const auto& e : v.GetArray()) {
           if (e.IsNull()) {
             r->input_formats.push_back(InputFormat::kNone);
           } else if (Str(e) == "channels_first") {
             r->input_formats.push_back(InputFormat::kChannelsFirst);
           } else if (Str(e) == "channels_last") {
             r->input_formats.push_back(InputFormat::kChannelsLast);
           } else {
             std::string message = Str(e);
             message += " is not channels_first, channels_last or null";
             return KeyError("input_formats", message);
           }
         }
         return Status::Ok();
       }},
      {"enable_fp16", Kind::kBool, false,
       "convert float compute to fp16 (numerically fragile operators stay "
       "fp32)",
       [](const Value& v, CompileRequest* r) {
         r->enable_fp16 = v.GetBool();
         return Status::Ok();
       }},
      {"enable_int8", Kind::kBool, false,
       "static post-training int8 quantisation (needs calibration_dataset "
       "and validation_dataset)",
       [](const Value& v, CompileRequest* r) {
         r->enable_int8 = v.GetBool();
         return Status::Ok();
       }},
      {"calibration_dataset", Kind::kString, false,
       "with enable_int8: a folder of calibration samples (.npy, .npz or "
       "images)",
       [](const Value& v, CompileRequest* r) {
         r->calibration_dataset = Str(v);
         return ExistingFolder("calibration_dataset", r->calibration_dataset);
       }},
      {"validation_dataset", Kind::kString, false,
       "with enable_int8: a folder of samples for the accuracy report",
       [](const Value& v, CompileRequest* r) {
         r->validation_dataset = Str(v);
         return ExistingFolder("validation_dataset", r->validation_dataset);
       }},
      {"validation_labels", Kind::kString, false,
       "with enable_int8: a file of 'FILE LABEL' lines (class indices) for "
       "validation samples",
       [](const Value& v, CompileRequest* r) {
         r->validation_labels = Str(v);
         std::error_code ec;
         if (!std::filesystem::is_regular_file(r->validation_labels, ec)) {
           return KeyError("validation_labels",
                           "'" + r->validation_labels + "' is not a file");
         }
         return Status::Ok();
       }},
      {"max_accuracy_loss", Kind::kNumber, false,
       "with enable_int8: largest accepted loss of top-1 agreement with fp32, "
       "in points (default 1)",
       [](const Value& v, CompileRequest* r) {
         r->max_accuracy_loss = v.GetDouble();
         if (!(r->max_accuracy_loss >= 0) || !(r->max_accuracy_loss <= 100)) {
           return KeyError("max_accuracy_loss", "must be in [0, 100]");
         }
         return Status::Ok();
       }},
      {"image_mean", Kind::kNumber, false,
       "with enable_int8: image samples become (pixel - image_mean) / "
       "image_std (default 0)",
       [](const Value& v, CompileRequest* r) {
         r->image_mean = v.GetDouble();
         return Status::Ok();
       }},
      {"image_std", Kind::kNumber, false,
       "with enable_int8: see image_mean (default 1)",
       [](const Value& v, CompileRequest* r) {
         r->image_std = v.GetDouble();
         if (r->image_std == 0 || !std::isfinite(r->image_std)) {
           return KeyError("image_std", "must be a finite number, not 0");
         }
         return Status::Ok();
       }},
      {"static_shapes", Kind::kBool, false,
       "fix every input shape (batch = max_batch_size, others from "
       "input_shapes)",
       [](const Value& v, CompileRequest* r) {
         r->static_shapes = v.GetBool();
         return Status::Ok();
       }},
      {"input_shapes", Kind::kShapeMap, false,
       "full static shapes of inputs, by name (implies static_shapes)",
       [](const Value& v, CompileRequest* r) {
         r->input_shapes.clear();
         for (const auto& m : v.GetObject()) {
           std::vector<int64_t> dims;
           for (const auto& d : m.value.GetArray()) {
             if (d.GetInt64() < 1) {
               return KeyError(
                   "input_shapes",
                   "input '" + Str(m.name) + "': dimensions must be >= 1");
             }
             dims.push_back(d.GetInt64());
           }
           r->input_shapes[Str(m.name)] = std::move(dims);
         }
         return Status::Ok();
       }},
      {"keep_io_types", Kind::kBool, false,
       "with enable_fp16: keep float inputs/outputs fp32 (default true)",
       [](const Value& v, CompileRequest* r) {
         r->keep_io_types = v.GetBool();
         return Status::Ok();
       }},
      {"optimization_level", Kind::kString, false,
       "ONNX Runtime graph optimisation: disable, basic (default), extended, "
       "all",
       [](const Value& v, CompileRequest* r) {
         r->optimization_level = Str(v);
         return OneOf("optimization_level", r->optimization_level,
                      {"disable", "basic", "extended", "all"});
       }},
      {"numeric_check", Kind::kBool, false,
       "compare the result with the source on random inputs (default true)",
       [](const Value& v, CompileRequest* r) {
         r->numeric_check = v.GetBool();
         return Status::Ok();
       }},
      {"tolerance", Kind::kNumber, false,
       "largest accepted relative error (default 1e-5; 2e-2 with fp16)",
       [](const Value& v, CompileRequest* r) {
         const double t = v.GetDouble();
         if (!(t >= 0) || !std::isfinite(t)) {
           return KeyError("tolerance", "must be a finite number >= 0");
         }
         r->tolerance = t;
         return Status::Ok();
       }},
      {"seed", Kind::kInt, false, "seed of the numeric check's random inputs",
       [](const Value& v, CompileRequest* r) {
         ASSIGN_OR_RETURN(
             int64_t s,
             IntIn(v, "seed", 0, std::numeric_limits<int64_t>::max()));
         r->seed = static_cast<uint64_t>(s);
         return Status::Ok();
       }},
      {"dynamic_batching", Kind::kBool, false,
       "write dynamic_batching {} into config.pbtxt",
       [](const Value& v, CompileRequest* r) {
         r->dynamic_batching = v.GetBool();
         return Status::Ok();
       }},
      {"preferred_batch_size", Kind::kIntList, false,
       "dynamic_batching.preferred_batch_size (implies dynamic_batching)",
       [](const Value& v, CompileRequest* r) {
         r->preferred_batch_size.clear();
         for (const auto& e : v.GetArray()) {
           ASSIGN_OR_RETURN(int64_t p,
                            IntIn(e, "preferred_batch_size", 1, kIntMax));
           r->preferred_batch_size.push_back(static_cast<int>(p));
         }
         return Status::Ok();
       }},
      {"max_queue_delay_microseconds", Kind::kInt, false,
       "dynamic_batching.max_queue_delay_microseconds (implies "
       "dynamic_batching)",
       [](const Value& v, CompileRequest* r) {
         ASSIGN_OR_RETURN(r->max_queue_delay_microseconds,
                          IntIn(v, "max_queue_delay_microseconds", 0,
                                std::numeric_limits<int64_t>::max()));
         return Status::Ok();
       }},
      {"instance_count", Kind::kInt, false, "instance_group.count",
       [](const Value& v, CompileRequest* r) {
         ASSIGN_OR_RETURN(r->instance_count,
                          IntIn(v, "instance_count", 1, kIntMax));
         return Status::Ok();
       }},
      {"instance_kind", Kind::kString, false,
       "instance_group.kind: cpu, gpu, auto or model",
       [](const Value& v, CompileRequest* r) {
         r->instance_kind = Str(v);
         return OneOf("instance_kind", r->instance_kind,
                      {"cpu", "gpu", "auto", "model"});
       }},
  };
  return keys;
}

const KeyDef* FindKey(std::string_view name) {
  for (const KeyDef& k : Keys())
    if (name == k.name) return &k;
  return nullptr;
}

bool IsInt(const Value& v) { return v.IsInt64(); }

Status CheckType(const KeyDef& key, const Value& v) {
  bool ok = false;
  switch (key.kind) {
    case Kind::kString:
      ok = v.IsString();
      break;
    case Kind::kInt:
      ok = IsInt(v);
      break;
    case Kind::kBool:
      ok = v.IsBool();
      break;
    case Kind::kNumber:
      ok = v.IsNumber();
      break;
    case Kind::kStringList:
      ok = v.IsArray() && std::all_of(v.Begin(), v.End(), [](const Value& e) {
             return e.IsString();
           });
      break;
    case Kind::kIntList:
      ok = v.IsArray() && std::all_of(v.Begin(), v.End(), IsInt);
      break;
    case Kind::kFormatList:
      ok = v.IsArray() && std::all_of(v.Begin(), v.End(), [](const Value& e) {
             return e.IsNull() || e.IsString();
           });
      break;
    case Kind::kShapeMap:
      ok = v.IsObject() &&
           std::all_of(v.MemberBegin(), v.MemberEnd(), [](const auto& m) {
             return m.value.IsArray() &&
                    std::all_of(m.value.Begin(), m.value.End(), IsInt);
           });
      break;
  }
  if (ok) return Status::Ok();
  return KeyError(key.name, "expected " + std::string(KindName(key.kind)) +
                                ", got " + std::string(JsonTypeName(v)));
}

std::string KnownKeys() {
  std::string s;
  for (const KeyDef& k : Keys())
    s += (s.empty() ? "" : ", ") + std::string(k.name);
  return s;
}

StatusOr<CompileRequest> FromDocument(const Value& doc,
                                      std::string_view source) {
  if (!doc.IsObject()) {
    return InvalidArgument(std::string(source) +
                           ": a request must be a JSON object, got " +
                           std::string(JsonTypeName(doc)));
  }
  CompileRequest request;
  std::vector<std::string> missing;
  for (const KeyDef& key : Keys()) {
    auto it = doc.FindMember(key.name);
    if (it == doc.MemberEnd()) {
      if (key.required) missing.push_back(key.name);
      continue;
    }
    RETURN_IF_ERROR(CheckType(key, it->value).WithPrefix(source));
    RETURN_IF_ERROR(key.set(it->value, &request).WithPrefix(source));
  }
  for (const auto& m : doc.GetObject()) {
    if (FindKey(Str(m.name)) == nullptr) {
      return InvalidArgument(std::string(source) + ": unknown key '" +
                             Str(m.name) + "' (known keys: " + KnownKeys() +
                             ")");
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return InvalidArgument(std::string(source) + ": missing required key" +
                           (missing.size() > 1 ? "s: " : ": ") + list);
  }
  if (!request.input_shapes.empty()) request.static_shapes = true;
  if (!request.preferred_batch_size.empty() ||
      request.max_queue_delay_microseconds.has_value()) {
    request.dynamic_batching = true;
  }
  if (request.enable_int8) {
    if (request.enable_fp16) {
      return InvalidArgument(std::string(source) +
                             ": keys 'enable_int8' and 'enable_fp16' exclude "
                             "each other");
    }
    for (const char* key : {"calibration_dataset", "validation_dataset"}) {
      if (doc.FindMember(key) == doc.MemberEnd()) {
        return InvalidArgument(std::string(source) +
                               ": key 'enable_int8': "
                               "needs '" +
                               key + "' (a folder of samples)");
      }
    }
  } else {
    for (const char* key :
         {"calibration_dataset", "validation_dataset", "validation_labels",
          "max_accuracy_loss", "image_mean", "image_std"}) {
      if (doc.FindMember(key) != doc.MemberEnd()) {
        return InvalidArgument(std::string(source) + ": key '" + key +
                               "': needs enable_int8");
      }
    }
  }
  if (request.dynamic_batching && request.max_batch_size == 0) {
    return InvalidArgument(
        std::string(source) +
        ": key 'dynamic_batching': needs max_batch_size > 0");
  }
  return request;
}

StatusOr<rapidjson::Document> ParseJson(std::string_view text,
                                        std::string_view source) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) {
    return InvalidArgument(std::string(source) + ": not valid JSON at offset " +
                           std::to_string(doc.GetErrorOffset()) + ": " +
                           rapidjson::GetParseError_En(doc.GetParseError()));
  }
  return doc;
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> parts;
  if (s.empty()) return parts;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    parts.emplace_back(s.substr(start, end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

bool ParseInt(std::string_view s, int64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

// Converts the text of `--key=text` into the JSON value the key expects.
StatusOr<Value> FlagValue(const KeyDef& key, const std::string& text,
                          rapidjson::Document::AllocatorType& a) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("flag --" + std::string(key.name) + "=" + text +
                           ": " + why);
  };
  Value v;
  switch (key.kind) {
    case Kind::kString:
      v.SetString(text.c_str(), text.size(), a);
      return v;
    case Kind::kInt: {
      int64_t x;
      if (!ParseInt(text, &x)) return bad("expected an integer");
      v.SetInt64(x);
      return v;
    }
    case Kind::kBool:
      if (text.empty() || text == "true" || text == "1") {
        v.SetBool(true);
      } else if (text == "false" || text == "0") {
        v.SetBool(false);
      } else {
        return bad("expected true or false");
      }
      return v;
    case Kind::kNumber: {
      char* end = nullptr;
      const double x = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size()) {
        return bad("expected a number");
      }
      v.SetDouble(x);
      return v;
    }
    case Kind::kStringList:
    case Kind::kFormatList:
      v.SetArray();
      for (const std::string& part : Split(text, ',')) {
        Value e;
        if (key.kind == Kind::kFormatList &&
            (part == "none" || part == "null")) {
          e.SetNull();
        } else {
          e.SetString(part.c_str(), part.size(), a);
        }
        v.PushBack(e, a);
      }
      return v;
    case Kind::kIntList:
      v.SetArray();
      for (const std::string& part : Split(text, ',')) {
        int64_t x;
        if (!ParseInt(part, &x)) return bad("'" + part + "' is not an integer");
        v.PushBack(Value().SetInt64(x), a);
      }
      return v;
    case Kind::kShapeMap:
      v.SetObject();
      for (const std::string& item : Split(text, ',')) {
        const size_t colon = item.rfind(':');
        if (colon == std::string::npos || colon == 0) {
          return bad("expected NAME:D0xD1x..., got '" + item + "'");
        }
        Value dims(rapidjson::kArrayType);
        for (const std::string& d :
             Split(std::string_view(item).substr(colon + 1), 'x')) {
          int64_t x;
          if (!ParseInt(d, &x))
            return bad("'" + d + "' in '" + item + "' is not an integer");
          dims.PushBack(Value().SetInt64(x), a);
        }
        Value name(item.substr(0, colon).c_str(), colon, a);
        v.AddMember(name, dims, a);
      }
      return v;
  }
  return bad("unsupported");
}

}  // namespace

StatusOr<CompileRequest> ParseRequestJson(std::string_view json,
                                          std::string_view source) {
  ASSIGN_OR_RETURN(rapidjson::Document doc, ParseJson(json, source));
  return FromDocument(doc, source);
}

StatusOr<CompileRequest> ParseRequestFlags(
    const std::vector<std::string>& args) {
  rapidjson::Document doc;
  doc.SetObject();
  std::string source = "flags";
  std::vector<std::pair<const KeyDef*, std::string>> flags;
  for (const std::string& arg : args) {
    if (!arg.starts_with("--")) {
      return InvalidArgument("unexpected argument '" + arg +
                             "' (flags are --key=value)");
    }
    const size_t eq = arg.find('=');
    const std::string name =
        arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const std::string text = eq == std::string::npos ? "" : arg.substr(eq + 1);
    if (name == "request") {
      if (text.empty())
        return InvalidArgument("flag --request needs a file: --request=FILE");
      std::ifstream in(text, std::ios::binary);
      if (!in) return NotFound("request file '" + text + "' cannot be read");
      std::stringstream buffer;
      buffer << in.rdbuf();
      ASSIGN_OR_RETURN(rapidjson::Document file_doc,
                       ParseJson(buffer.str(), text));
      if (!file_doc.IsObject()) return FromDocument(file_doc, text).status();
      for (auto& m : file_doc.GetObject()) {
        Value name(m.name, doc.GetAllocator());
        Value value(m.value, doc.GetAllocator());
        doc.RemoveMember(name);
        doc.AddMember(name, value, doc.GetAllocator());
      }
      source = text;
      continue;
    }
    const KeyDef* key = FindKey(name);
    if (key == nullptr) {
      return InvalidArgument("unknown flag --" + name +
                             " (known keys: " + KnownKeys() + ", request)");
    }
    if (eq == std::string::npos && key->kind != Kind::kBool) {
      return InvalidArgument("flag --" + name + " needs a value: --" + name +
                             "=...");
    }
    flags.emplace_back(key, text);
  }
  // Flags override the file, whatever their position on the command line.
  for (const auto& [key, text] : flags) {
    ASSIGN_OR_RETURN(Value value, FlagValue(*key, text, doc.GetAllocator()));
    doc.RemoveMember(key->name);
    doc.AddMember(Value(key->name, doc.GetAllocator()), value,
                  doc.GetAllocator());
  }
  if (!flags.empty() && source != "flags") source += " and flags";
  return FromDocument(doc, source);
}

std::string RequestKeysHelp() {
  std::string s;
  for (const KeyDef& k : Keys()) {
    std::string line = "  " + std::string(k.name);
    line.resize(std::max<size_t>(line.size() + 1, 32), ' ');
    s += line + std::string(KindName(k.kind)) +
         (k.required ? ", required" : "") + ": " + k.help + "\n";
  }
  return s;
}

std::string_view InputFormatName(InputFormat format) {
  switch (format) {
    case InputFormat::kNone:
      return "none";
    case InputFormat::kChannelsFirst:
      return "channels_first";
    case InputFormat::kChannelsLast:
      return "channels_last";
  }
  return "none";
}

}  // namespace adlik::compiler
