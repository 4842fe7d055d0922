#include "frontends/http/http_server.h"

#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <optional>
#include <thread>

#include "base/logging.h"
#include "frontends/http/kserve_json.h"

namespace adlik::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::string_view HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return {};
}

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(600);
// Bytes a connection reads at once when a large body comes (kept only while
// the body is read).
constexpr size_t kReadChunk = 1 << 20;

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, HttpHandler* handler)
      : options_(std::move(options)),
        handler_(handler),
        ioc_(options_.threads),
        acceptor_(asio::make_strand(ioc_)) {}

  Status Listen() {
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
    Accept();
    for (int i = 0; i < options_.threads; ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
    return Status::Ok();
  }

  void Stop() {
    if (stopped_.exchange(true)) return;
    asio::post(acceptor_.get_executor(), [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
    });
    // Let responses to requests already taken go out.
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (in_flight_.load() > 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ioc_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  int port() const { return port_; }

 private:
  class Session;

  void Accept();

  const HttpServerOptions options_;
  HttpHandler* const handler_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopped_{false};
  std::atomic<int> in_flight_{0};
  int port_ = 0;
};

// One connection. Lives as long as an asynchronous operation or a pending
// response refers to it. All of its work runs on its strand.
class HttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl* server, tcp::socket socket)
      : server_(server), stream_(std::move(socket)) {}

  void Read() {
    parser_.emplace();
    parser_->body_limit(server_->options_.max_body_bytes);
    parser_->header_limit(64 * 1024);
    stream_.expires_after(kIdleTimeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

 private:
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
          [self = shared_from_this()](beast::error_code ec, size_t n) {
            if (ec) return self->Close();
            self->ReadBody();
          });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset) {
      Close();
      return;
    }
    if (ec == bhttp::error::body_limit) {
      Send(HttpResponse{413,
                        "application/json",
                        ErrorJson(
                            "request body exceeds the server's limit of " +
                            std::to_string(server_->options_.max_body_bytes) +
                            " bytes (--http_max_body_mb)"),
                        {}},
           /*keep_alive=*/false);
      return;
    }
    if (ec) {
      Send(HttpResponse{400,
                        "application/json",
                        ErrorJson("malformed HTTP request: " + ec.message()),
                        {}},
           false);
      return;
    }
    auto message = parser_->release();
    if (buffer_.capacity() > 64 * 1024 && buffer_.size() == 0)
      buffer_.shrink_to_fit();
    keep_alive_ = message.keep_alive();
    HttpRequest request;
    request.method = std::string(message.method_string());
    std::string_view target(message.target().data(), message.target().size());
    request.path = std::string(target.substr(0, target.find('?')));
    for (const auto& field : message) {
      std::string name(field.name_string());
      for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    request.body = std::move(message.body());
    cancelled_ = std::make_shared<std::atomic<bool>>(false);  // this request's
    request.cancelled = cancelled_;
    server_->in_flight_.fetch_add(1);
    stream_.expires_never();
    WatchForHangUp();
    server_->handler_->Handle(
        std::move(request), [self = shared_from_this()](HttpResponse response) {
          asio::dispatch(self->stream_.get_executor(),
                         [self, response = std::move(response)]() mutable {
                           self->Send(std::move(response), self->keep_alive_);
                           self->server_->in_flight_.fetch_sub(1);
                         });
        });
  }

  // While the handler works, notices a client that closes the connection, so
  // that its queued request is dropped instead of run.
  void WatchForHangUp() {
    stream_.socket().async_wait(
        tcp::socket::wait_read, [self = shared_from_this(),
                                 cancelled = cancelled_](beast::error_code ec) {
          if (ec) return;
          char byte;
          const ssize_t n = ::recv(self->stream_.socket().native_handle(),
                                   &byte, 1, MSG_PEEK | MSG_DONTWAIT);
          // Readable with nothing to read: the peer closed. Data: the next
          // request, already sent; leave it for the next read.
          if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            cancelled->store(true);
          }
        });
  }

  void Send(HttpResponse r, bool keep_alive) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(r.status), 11);
    res->set(bhttp::field::server, "adlik");
    res->set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    bhttp::async_write(stream_, *res,
                       [self = shared_from_this(), res, keep_alive](
                           beast::error_code ec, size_t) {
                         if (ec || !keep_alive) {
                           self->Close();
                         } else {
                           self->Read();
                         }
                       });
  }

  void Close() {
    cancelled_->store(true);
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  Impl* const server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool keep_alive_ = true;
  std::shared_ptr<std::atomic<bool>> cancelled_ =
      std::make_shared<std::atomic<bool>>(false);
};

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(
      asio::make_strand(ioc_),
      [this](boost::system::error_code ec, tcp::socket socket) {
        if (ec) {
          if (stopped_) return;
        } else {
          socket.set_option(tcp::no_delay(true), ec);
          std::make_shared<Session>(this, std::move(socket))->Read();
        }
        if (!stopped_) Accept();
      });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { Stop(); }

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    HttpServerOptions options, HttpHandler* handler) {
  if (options.threads <= 0)
    options.threads = std::max(1u, std::thread::hardware_concurrency());
  auto impl = std::make_unique<Impl>(std::move(options), handler);
  RETURN_IF_ERROR(impl->Listen());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

int HttpServer::port() const { return impl_->port(); }
void HttpServer::Stop() { impl_->Stop(); }

}  // namespace adlik::http
