#include "frontends/http/http_server.h"

#include <sys/socket.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

#include "base/logging.h"
#include "frontends/http/http_compression.h"
#include "frontends/kserve/kserve_json.h"

namespace adlik::http {

using kserve::ErrorJson;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

std::string_view HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return {};
}

namespace {

// Bytes a connection reads at once when a large body comes (kept only while
// the body is read).
constexpr size_t kReadChunk = 1 << 20;
// The request line and header fields together; the trailer fields of a
// chunked body together.
constexpr size_t kHeaderLimit = 64 * 1024;
// What a connection buffers at most beyond what the parser has taken: a
// header, a read chunk, and a trailer.
constexpr size_t kMaxBuffered = kReadChunk + 2 * kHeaderLimit;
// After Drain(), an idle keep-alive connection closes unless a request starts
// within this time (it gets 503).
constexpr milliseconds kDrainGrace{1000};
// After accept() fails for want of descriptors or memory.
constexpr milliseconds kAcceptBackoff{100};
// For a TLS close_notify exchange when a connection closes.
constexpr milliseconds kTlsShutdownTimeout{1000};

// Beast's request parser, except that trailer fields are bounded (Beast
// throws std::length_error for a field of 64 KiB or more, and applies no
// header limit to the trailer): over kHeaderLimit in all, the request is
// malformed (400).
class RequestParser final : public bhttp::request_parser<bhttp::string_body> {
 private:
  void on_field_impl(bhttp::field name, beast::string_view name_string,
                     beast::string_view value, beast::error_code& ec) override {
    if (is_header_done()) {
      trailer_bytes_ += name_string.size() + value.size() + 4;
      if (trailer_bytes_ > kHeaderLimit) {
        ec = bhttp::error::header_limit;
        return;
      }
    }
    get().insert(name, name_string, value);
  }

  size_t trailer_bytes_ = 0;
};

// accept() errors after which retrying at once would fail again.
bool IsResourceShortage(const boost::system::error_code& ec) {
  const int e = ec.value();
  return ec.category() == boost::system::system_category() &&
         (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM);
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, HttpHandler* handler)
      : options_(std::move(options)),
        handler_(handler),
        ioc_(options_.threads),
        acceptor_(asio::make_strand(ioc_)),
        accept_timer_(acceptor_.get_executor()) {}

  Status Listen() {
    if (options_.tls) RETURN_IF_ERROR(MakeTlsContext(*options_.tls));
    boost::system::error_code ec;
    auto address = asio::ip::make_address(options_.address, ec);
    if (ec)
      return InvalidArgument("HTTP address '" + options_.address +
                             "': " + ec.message());
    tcp::endpoint endpoint(address, static_cast<unsigned short>(options_.port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Unavailable("cannot listen for HTTP on " + options_.address + ":" +
                         std::to_string(options_.port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    asio::post(acceptor_.get_executor(), [this] { Accept(); });
    for (int i = 0; i < options_.threads; ++i) {
      threads_.emplace_back([this] { Run(); });
    }
    return Status::Ok();
  }

  void Drain() {
    if (draining_.exchange(true)) return;
    asio::post(acceptor_.get_executor(), [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
      accept_timer_.cancel();
    });
    std::vector<std::shared_ptr<SessionBase>> live;
    {
      std::lock_guard lock(sessions_mu_);
      for (auto& weak : sessions_)
        if (auto s = weak.lock()) live.push_back(std::move(s));
    }
    for (auto& s : live) s->PostDrain();
  }

  void Stop(std::chrono::steady_clock::time_point deadline) {
    Drain();
    if (stopped_.exchange(true)) return;
    // Let the connections answer what they received and close.
    while (connections_.load() > 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (const size_t left = connections_.load(); left > 0) {
      LOG(WARNING) << "HTTP: closing " << left
                   << " connection(s) still open at the drain deadline";
    }
    ioc_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  int port() const { return port_; }

 private:
  // What Drain() needs of a connection, whatever its stream.
  class SessionBase {
   public:
    virtual ~SessionBase() = default;
    // Tells the connection, on its strand, that the server drains.
    virtual void PostDrain() = 0;
  };
  template <class Stream>
  class Session;
  using SessionList = std::list<std::weak_ptr<SessionBase>>;

  Status MakeTlsContext(const TlsOptions& tls) {
    ssl_ctx_.emplace(ssl::context::tls_server);
    ssl_ctx_->set_options(ssl::context::default_workarounds |
                          ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                          ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                          ssl::context::single_dh_use);
    boost::system::error_code ec;
    ssl_ctx_->use_certificate_chain(asio::buffer(tls.server_cert), ec);
    if (ec) return InvalidArgument("TLS server_cert: " + ec.message());
    ssl_ctx_->use_private_key(asio::buffer(tls.server_key), ssl::context::pem,
                              ec);
    if (ec) return InvalidArgument("TLS server_key: " + ec.message());
    if (tls.client_verify) {
      ssl_ctx_->add_certificate_authority(asio::buffer(tls.custom_ca), ec);
      if (ec) return InvalidArgument("TLS custom_ca: " + ec.message());
      ssl_ctx_->set_verify_mode(ssl::verify_peer |
                                ssl::verify_fail_if_no_peer_cert);
    }
    return Status::Ok();
  }

  // A pool thread: no exception ends it.
  void Run() {
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {
        LOG(ERROR) << "HTTP: exception in a connection handler (the "
                      "connection is dropped, the server goes on): "
                   << e.what();
      } catch (...) {
        LOG(ERROR) << "HTTP: unknown exception in a connection handler (the "
                      "connection is dropped, the server goes on)";
      }
    }
  }

  // The accept loop; runs on the acceptor's strand.
  void Accept();
  void OnAccept(boost::system::error_code ec, tcp::socket socket);
  bool AtConnectionLimit() const {
    return options_.max_connections > 0 &&
           connections_.load() >= options_.max_connections;
  }

  SessionList::iterator Register(std::weak_ptr<SessionBase> session) {
    std::lock_guard lock(sessions_mu_);
    return sessions_.insert(sessions_.end(), std::move(session));
  }
  // From a connection's destructor (maybe in ioc_'s, after Stop()).
  void Unregister(SessionList::iterator it, bool registered) {
    if (registered) {
      std::lock_guard lock(sessions_mu_);
      sessions_.erase(it);
    }
    connections_.fetch_sub(1);
    if (options_.max_connections > 0 && !draining_.load()) {
      asio::post(acceptor_.get_executor(), [this] {
        if (accept_paused_ && !AtConnectionLimit()) {
          accept_paused_ = false;
          Accept();
        }
      });
    }
  }

  // Declared before ioc_: connections destroyed with ioc_ use them.
  const HttpServerOptions options_;
  HttpHandler* const handler_;
  std::optional<ssl::context> ssl_ctx_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<size_t> connections_{0};
  std::mutex sessions_mu_;
  SessionList sessions_;  // guarded by sessions_mu_

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_timer_;  // on the acceptor's strand
  bool accept_paused_ = false;       // on the acceptor's strand
  bool accept_starved_ = false;      // on the acceptor's strand
  std::vector<std::thread> threads_;
  int port_ = 0;
};

// One connection. Lives as long as an asynchronous operation or a pending
// response refers to it. All of its work runs on its strand.
template <class Stream>
class HttpServer::Impl::Session
    : public SessionBase,
      public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;

 public:
  Session(Impl* server, tcp::socket socket)
      : server_(server),
        stream_(MakeStream(server, std::move(socket))),
        timer_(stream_.get_executor()) {
    server_->connections_.fetch_add(1);
  }
  ~Session() override { server_->Unregister(registry_it_, registered_); }

  // Starts the connection on its strand.
  void Run() {
    asio::dispatch(stream_.get_executor(),
                   [self = this->shared_from_this()] { self->Start(); });
  }

  void PostDrain() override {
    asio::post(stream_.get_executor(),
               [self = this->shared_from_this()] { self->OnDrain(); });
  }

 private:
  void Start() {
    registry_it_ = server_->Register(this->weak_from_this());
    registered_ = true;
    if constexpr (kTls) {
      state_ = State::kHandshake;
      Arm(server_->options_.request_timeout);
      stream_.async_handshake(
          ssl::stream_base::server,
          [self = this->shared_from_this()](beast::error_code ec) {
            self->Disarm();
            if (ec) {
              LOG(VERBOSE) << "HTTP: TLS handshake failed: " << ec.message();
              return self->Close(/*tls_goodbye=*/false);
            }
            self->WaitRequest();
          });
    } else {
      WaitRequest();
    }
  }

  enum class State {
    kHandshake,
    kIdle,
    kReading,
    kHandling,
    kWriting,
    kClosed
  };

  static Stream MakeStream(Impl* server, tcp::socket socket) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *server->ssl_ctx_);
    } else {
      return socket;
    }
  }

  tcp::socket& socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  // Ends the connection's pending I/O after `d` (timed_out_ tells it
  // happened). Reads are ended by shutting the receiving side, not by
  // cancel() alone: a composed read (Beast's) between two of its steps has
  // nothing pending to cancel and would go on reading a dribbling client. The
  // sending side stays open for the 408 (or the TLS close_notify). A write
  // that does not finish in time ends the connection.
  void Arm(milliseconds d) {
    timed_out_ = false;
    timer_.expires_after(d);
    timer_.async_wait([self = this->shared_from_this(),
                       generation = ++timer_generation_](beast::error_code ec) {
      if (ec || generation != self->timer_generation_) return;
      self->timed_out_ = true;
      beast::error_code ignored;
      if (self->state_ == State::kWriting || self->state_ == State::kClosed) {
        self->socket().close(ignored);
      } else {
        self->socket().cancel(ignored);
        self->socket().shutdown(tcp::socket::shutdown_receive, ignored);
      }
    });
  }
  void Disarm() {
    ++timer_generation_;
    timer_.cancel();
  }

  void OnDrain() {
    // An idle connection gets a short grace for a request already on its
    // way (answered 503); reading, handling and writing end by themselves.
    if (state_ == State::kIdle) Arm(kDrainGrace);
  }

  // Between requests: waits for the first byte of the next one under the
  // idle timeout, then reads it under the request timeout.
  void WaitRequest() {
    if (buffer_.size() > 0) return ReadRequest();
    state_ = State::kIdle;
    Arm(server_->draining_.load()
            ? std::min(kDrainGrace, server_->options_.idle_timeout)
            : server_->options_.idle_timeout);
    stream_.async_read_some(
        buffer_.prepare(16 * 1024),
        [self = this->shared_from_this()](beast::error_code ec, size_t n) {
          self->buffer_.commit(n);
          if (ec && n == 0) {
            self->Disarm();
            // Timed out (idle, or the drain's grace): a polite TLS goodbye.
            // The peer closed or failed: none.
            return self->Close(/*tls_goodbye=*/self->timed_out_);
          }
          self->ReadRequest();
        });
  }

  void ReadRequest() {
    state_ = State::kReading;
    response_coding_ = ContentCoding::kIdentity;
    parser_.emplace();
    parser_->body_limit(server_->options_.max_body_bytes);
    parser_->header_limit(kHeaderLimit);
    Arm(server_->options_.request_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(
                                 &Session::OnHeader, this->shared_from_this()));
  }

  // With the header in: answer `Expect: 100-continue` before reading the
  // body (clients such as curl otherwise wait a second for it).
  void OnHeader(beast::error_code ec, size_t n) {
    if (ec || parser_->is_done()) return OnRead(ec, n);
    // Beast reads as much as the buffer has room for: a large body read
    // 512 bytes at a time costs a millisecond per 100 KiB. Make room.
    if (auto length = parser_->content_length();
        length && *length > kReadChunk / 4) {
      buffer_.reserve(std::min<size_t>(*length, kReadChunk));
    }
    const auto& h = parser_->get();
    auto expect = h[bhttp::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(
          stream_, asio::buffer(kContinue),
          [self = this->shared_from_this()](beast::error_code ec, size_t n) {
            if (ec) return self->OnRead(ec, n);
            self->ReadBody();
          });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::OnRead, this->shared_from_this()));
  }

  static HttpResponse Error(int status, std::string message) {
    return HttpResponse{status, "application/json", ErrorJson(message), {}};
  }

  void OnRead(beast::error_code ec, size_t) {
    Disarm();
    if (ec && timed_out_) {
      return Send(
          Error(408,
                "the request did not arrive within " +
                    std::to_string(server_->options_.request_timeout.count()) +
                    " ms (--http_timeout_in_ms)"),
          /*keep_alive=*/false);
    }
    if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset ||
        ec == ssl::error::stream_truncated) {
      return Close(/*tls_goodbye=*/false);
    }
    if (ec == bhttp::error::body_limit) {
      return Send(
          Error(413, "request body exceeds the server's limit of " +
                         std::to_string(server_->options_.max_body_bytes) +
                         " bytes (--http_max_body_mb)"),
          false);
    }
    if (ec == bhttp::error::header_limit ||
        ec == bhttp::error::buffer_overflow) {
      return Send(Error(400,
                        "malformed HTTP request: the header or the "
                        "trailer exceeds " +
                            std::to_string(kHeaderLimit) + " bytes"),
                  false);
    }
    if (ec) {
      return Send(Error(400, "malformed HTTP request: " + ec.message()), false);
    }
    // HEAD is a GET whose body is not sent (see Send).
    head_ = parser_->get().method() == bhttp::verb::head;
    if (server_->draining_.load()) {
      return Send(Error(503, "the server is shutting down"), false);
    }
    auto message = parser_->release();
    if (buffer_.capacity() > 64 * 1024 && buffer_.size() == 0)
      buffer_.shrink_to_fit();
    keep_alive_ = message.keep_alive();
    HttpRequest request;
    request.method = head_ ? "GET" : std::string(message.method_string());
    std::string_view target(message.target().data(), message.target().size());
    request.path = std::string(target.substr(0, target.find('?')));
    for (const auto& field : message) {
      std::string name(field.name_string());
      for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    request.body = std::move(message.body());
    auto coding = ParseContentEncoding(request.Header("content-encoding"));
    if (!coding.ok()) {
      return Send(Error(415, coding.status().message()), keep_alive_);
    }
    if (*coding != ContentCoding::kIdentity) {
      auto decoded =
          Decode(request.body, *coding, server_->options_.max_body_bytes);
      if (!decoded.ok()) {
        const bool too_large =
            decoded.status().code() == StatusCode::kResourceExhausted;
        return Send(Error(too_large ? 413 : 400,
                          decoded.status().message() +
                              (too_large ? " (--http_max_body_mb)" : "")),
                    keep_alive_);
      }
      request.body = std::move(decoded).value();
    }
    response_coding_ = ChooseResponseCoding(request.Header("accept-encoding"));
    cancelled_ = std::make_shared<std::atomic<bool>>(false);  // this request's
    request.cancelled = cancelled_;
    state_ = State::kHandling;
    WatchForHangUp();
    auto answered = std::make_shared<std::atomic<bool>>(false);
    HttpResponder respond = [self = this->shared_from_this(),
                             answered](HttpResponse response) {
      if (answered->exchange(true)) return;
      asio::dispatch(self->stream_.get_executor(),
                     [self, response = std::move(response)]() mutable {
                       self->Send(std::move(response), self->keep_alive_);
                     });
    };
    try {
      server_->handler_->Handle(std::move(request), respond);
    } catch (const std::exception& e) {
      LOG(ERROR) << "HTTP handler threw: " << e.what();
      respond(Error(500, std::string("internal error: ") + e.what()));
    }
  }

  // While the handler works, notices a client that resets the connection, so
  // that its queued request is dropped instead of run. A FIN is not taken as
  // a hang-up: a client that half-closes after its request (shutdown(SHUT_WR))
  // still waits for the answer, and a FIN from a full close looks the same;
  // such a client is found out when the answer cannot be written.
  void WatchForHangUp() {
    socket().async_wait(
        tcp::socket::wait_read, [self = this->shared_from_this(),
                                 cancelled = cancelled_](beast::error_code ec) {
          if (ec || self->state_ != State::kHandling) return;
          char byte;
          const ssize_t n = ::recv(self->socket().native_handle(), &byte, 1,
                                   MSG_PEEK | MSG_DONTWAIT);
          // n > 0: the next request (or TLS data), already sent: leave it for
          // the next read. n == 0: a FIN; the socket stays readable, so stop
          // watching.
          if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
              errno != EINTR) {
            cancelled->store(true);
          }
        });
  }

  void Send(HttpResponse r, bool keep_alive) {
    if (state_ == State::kClosed) return;
    state_ = State::kWriting;
    keep_alive = keep_alive && !server_->draining_.load();
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(r.status), 11);
    res->set(bhttp::field::server, "adlik");
    res->set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->set(k, v);
    if (response_coding_ != ContentCoding::kIdentity && !r.body.empty()) {
      r.body = Encode(r.body, response_coding_);
      res->set(bhttp::field::content_encoding,
               std::string(CodingName(response_coding_)));
      res->set(bhttp::field::vary, "Accept-Encoding");
    }
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    Arm(server_->options_.request_timeout);
    auto done = [self = this->shared_from_this(), keep_alive](
                    beast::error_code ec, size_t) {
      self->Disarm();
      if (ec) return self->Close(/*tls_goodbye=*/false);
      if (!keep_alive) return self->Close(/*tls_goodbye=*/true);
      self->WaitRequest();
    };
    if (head_) {
      // The GET's status and headers (Content-Length included), no body.
      head_ = false;
      auto header = std::make_shared<bhttp::response<bhttp::empty_body>>(
          std::move(res->base()));
      bhttp::async_write(
          stream_, *header,
          [header, done](beast::error_code ec, size_t n) { done(ec, n); });
    } else {
      bhttp::async_write(
          stream_, *res,
          [res, done](beast::error_code ec, size_t n) { done(ec, n); });
    }
  }

  // `tls_goodbye`: send a TLS close_notify first (bounded in time).
  void Close(bool tls_goodbye) {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    Disarm();
    cancelled_->store(true);
    if constexpr (kTls) {
      if (tls_goodbye) {
        Arm(kTlsShutdownTimeout);
        stream_.async_shutdown(
            [self = this->shared_from_this()](beast::error_code) {
              self->Disarm();
              self->CloseSocket();
            });
        return;
      }
    }
    CloseSocket();
  }

  void CloseSocket() {
    beast::error_code ec;
    socket().shutdown(tcp::socket::shutdown_send, ec);
    socket().close(ec);
  }

  Impl* const server_;
  Stream stream_;
  asio::steady_timer timer_;
  uint64_t timer_generation_ = 0;
  bool timed_out_ = false;
  State state_ = State::kHandshake;  // until Start() waits for a request
  beast::flat_buffer buffer_{kMaxBuffered};
  std::optional<RequestParser> parser_;
  bool keep_alive_ = true;
  bool head_ = false;  // the request being answered is a HEAD
  // What the request being answered accepts (Accept-Encoding).
  ContentCoding response_coding_ = ContentCoding::kIdentity;
  std::shared_ptr<std::atomic<bool>> cancelled_ =
      std::make_shared<std::atomic<bool>>(false);
  SessionList::iterator registry_it_;
  bool registered_ = false;
};

void HttpServer::Impl::Accept() {
  if (draining_.load() || stopped_.load()) return;
  if (AtConnectionLimit()) {
    // New connections wait in the listen backlog until one closes
    // (Unregister resumes).
    accept_paused_ = true;
    return;
  }
  acceptor_.async_accept(
      asio::make_strand(ioc_),
      [this](boost::system::error_code ec, tcp::socket socket) {
        OnAccept(ec, std::move(socket));
      });
}

void HttpServer::Impl::OnAccept(boost::system::error_code ec,
                                tcp::socket socket) {
  if (draining_.load() || stopped_.load()) return;
  if (ec) {
    if (ec == asio::error::operation_aborted) return;
    if (ec == asio::error::connection_aborted) return Accept();
    // Retrying at once would fail again (and spin): wait, keep serving the
    // open connections, log once until an accept succeeds.
    if (!accept_starved_) {
      accept_starved_ = true;
      LOG(ERROR) << "HTTP: cannot accept connections: " << ec.message()
                 << (IsResourceShortage(ec)
                         ? " (out of file descriptors or memory: see ulimit "
                           "-n and --http_max_connections)"
                         : "")
                 << "; serving the " << connections_.load()
                 << " open connection(s) and retrying every "
                 << kAcceptBackoff.count() << " ms";
    }
    accept_timer_.expires_after(kAcceptBackoff);
    accept_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) Accept();
    });
    return;
  }
  if (accept_starved_) {
    accept_starved_ = false;
    LOG(INFO) << "HTTP: accepting connections again";
  }
  socket.set_option(tcp::no_delay(true), ec);
  if (ssl_ctx_) {
    std::make_shared<Session<ssl::stream<tcp::socket>>>(this, std::move(socket))
        ->Run();
  } else {
    std::make_shared<Session<tcp::socket>>(this, std::move(socket))->Run();
  }
  Accept();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { Stop(); }

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    HttpServerOptions options, HttpHandler* handler) {
  if (options.threads <= 0)
    options.threads = std::max(1u, std::thread::hardware_concurrency());
  if (options.request_timeout.count() <= 0 ||
      options.idle_timeout.count() <= 0) {
    return InvalidArgument("HTTP request and idle timeouts must be positive");
  }
  auto impl = std::make_unique<Impl>(std::move(options), handler);
  RETURN_IF_ERROR(impl->Listen());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

int HttpServer::port() const { return impl_->port(); }
void HttpServer::Drain() { impl_->Drain(); }
void HttpServer::Stop(std::chrono::steady_clock::time_point deadline) {
  impl_->Stop(deadline);
}

}  // namespace adlik::http
