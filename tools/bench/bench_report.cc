#include "bench_report.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cstdio>
#include <fstream>

namespace adlik::bench {
namespace {

std::optional<double> LatencyRatio(const BenchReport& r,
                                   const ProtocolResult& p) {
  const ProtocolResult* bare = FindBare(r);
  if (bare == nullptr || bare->summary.mean_ms <= 0) return std::nullopt;
  return p.summary.mean_ms / bare->summary.mean_ms;
}

std::optional<double> ThroughputRatio(const BenchReport& r,
                                      const ProtocolResult& p) {
  const ProtocolResult* bare = FindBare(r);
  if (bare == nullptr || bare->summary.throughput <= 0) return std::nullopt;
  return p.summary.throughput / bare->summary.throughput;
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string Ratio(const std::optional<double>& v) {
  return v ? Fixed(*v, 3) : "-";
}

std::string Pad(const std::string& s, size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

}  // namespace

const ProtocolResult* FindBare(const BenchReport& report) {
  for (const auto& p : report.results)
    if (p.protocol == "bare") return &p;
  return nullptr;
}

std::string FormatTable(const BenchReport& r) {
  std::string out =
      "model " + r.model + " (version " + r.version + "), batch " +
      std::to_string(r.batch_size) + ", " + std::to_string(r.iterations) +
      " iterations after " + std::to_string(r.warmup) +
      " warm-up, concurrency " + std::to_string(r.concurrency) + ", " +
      std::to_string(r.rounds) + " round(s), " + std::to_string(r.input_sets) +
      " input sets (seed " + std::to_string(r.seed) + "), " +
      std::to_string(r.instances) + " instance(s), " + std::to_string(r.cores) +
      " core(s)\n";
  const std::vector<std::pair<std::string, size_t>> columns = {
      {"protocol", 8},      {"mean ms", 10},      {"p50 ms", 10},
      {"p90 ms", 10},       {"p99 ms", 10},       {"infer/s", 10},
      {"latency/bare", 13}, {"thruput/bare", 13}, {"outputs", 8}};
  for (const auto& [name, width] : columns) out += Pad(name, width) + " ";
  out += "\n";
  for (const auto& p : r.results) {
    const auto& s = p.summary;
    const std::string match =
        !p.outputs_match ? "-" : (*p.outputs_match ? "same" : "DIFFER");
    const std::vector<std::string> cells = {p.protocol,
                                            Fixed(s.mean_ms, 3),
                                            Fixed(s.p50_ms, 3),
                                            Fixed(s.p90_ms, 3),
                                            Fixed(s.p99_ms, 3),
                                            Fixed(s.throughput, 2),
                                            Ratio(LatencyRatio(r, p)),
                                            Ratio(ThroughputRatio(r, p)),
                                            match};
    for (size_t i = 0; i < cells.size(); ++i)
      out += Pad(cells[i], columns[i].second) + " ";
    out += "\n";
  }
  return out;
}

std::string FormatJson(const BenchReport& r) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
  w.SetIndent(' ', 2);
  auto str = [&](const std::string& s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartObject();
  w.Key("model");
  str(r.model);
  w.Key("version");
  str(r.version);
  w.Key("batch_size");
  w.Int(r.batch_size);
  w.Key("iterations");
  w.Int(r.iterations);
  w.Key("warmup");
  w.Int(r.warmup);
  w.Key("concurrency");
  w.Int(r.concurrency);
  w.Key("rounds");
  w.Int(r.rounds);
  w.Key("input_sets");
  w.Int(r.input_sets);
  w.Key("seed");
  w.Uint64(r.seed);
  w.Key("cores");
  w.Int(r.cores);
  w.Key("instances");
  w.Int(r.instances);
  w.Key("server");
  w.StartObject();
  w.Key("started");
  w.Bool(r.server_started);
  w.Key("command");
  w.StartArray();
  for (const auto& a : r.server_command) str(a);
  w.EndArray();
  w.Key("grpc_url");
  str(r.grpc_url);
  w.Key("http_url");
  str(r.http_url);
  w.EndObject();
  w.Key("results");
  w.StartArray();
  for (const auto& p : r.results) {
    const auto& s = p.summary;
    w.StartObject();
    w.Key("protocol");
    str(p.protocol);
    w.Key("requests");
    w.Int(s.requests);
    const std::pair<const char*, double> numbers[] = {
        {"mean_ms", s.mean_ms}, {"p50_ms", s.p50_ms},
        {"p90_ms", s.p90_ms},   {"p99_ms", s.p99_ms},
        {"min_ms", s.min_ms},   {"max_ms", s.max_ms},
        {"wall_s", s.wall_s},   {"throughput", s.throughput}};
    for (const auto& [key, value] : numbers) {
      w.Key(key);
      w.Double(value);
    }
    w.Key("latency_ratio");
    if (auto v = LatencyRatio(r, p))
      w.Double(*v);
    else
      w.Null();
    w.Key("throughput_ratio");
    if (auto v = ThroughputRatio(r, p))
      w.Double(*v);
    else
      w.Null();
    w.Key("outputs_match");
    if (p.outputs_match)
      w.Bool(*p.outputs_match);
    else
      w.Null();
    w.Key("max_abs_diff");
    w.Double(p.max_abs_diff);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

std::string FormatCsv(const BenchReport& r) {
  std::string out =
      "model,version,protocol,batch_size,concurrency,iterations,warmup,"
      "requests,mean_ms,"
      "p50_ms,p90_ms,p99_ms,min_ms,max_ms,throughput,latency_ratio,throughput_"
      "ratio,"
      "outputs_match\n";
  for (const auto& p : r.results) {
    const auto& s = p.summary;
    auto opt = [](const std::optional<double>& v) {
      return v ? Fixed(*v, 6) : std::string();
    };
    out += r.model + "," + r.version + "," + p.protocol + "," +
           std::to_string(r.batch_size) + "," + std::to_string(r.concurrency) +
           "," + std::to_string(r.iterations) + "," + std::to_string(r.warmup) +
           "," + std::to_string(s.requests) + "," + Fixed(s.mean_ms, 6) + "," +
           Fixed(s.p50_ms, 6) + "," + Fixed(s.p90_ms, 6) + "," +
           Fixed(s.p99_ms, 6) + "," + Fixed(s.min_ms, 6) + "," +
           Fixed(s.max_ms, 6) + "," + Fixed(s.throughput, 6) + "," +
           opt(LatencyRatio(r, p)) + "," + opt(ThroughputRatio(r, p)) + "," +
           (p.outputs_match ? (*p.outputs_match ? "true" : "false") : "") +
           "\n";
  }
  return out;
}

Status WriteFile(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return NotFound("cannot write " + path);
    out << text;
    if (!out) return Internal("cannot write " + path);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return Internal("cannot write " + path);
  return Status::Ok();
}

}  // namespace adlik::bench
