// Routes of imports as jobs (import_jobs.h; docs/server.md "Imports as jobs"): POST a body,
// get a job at once (202), watch it, cancel it. Admin scope, as POST /v1/products/import.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "import_jobs.h"
#include "routes.h"

namespace commerce::server {
namespace {

void WriteJob(JsonWriter& w, const ImportJobs::View& v) {
  w.StartObject();
  w.Key("id"); Str(w, v.id);
  w.Key("state"); Str(w, v.state);
  w.Key("format"); Str(w, v.format);
  w.Key("created_at_ms"); w.Int64(v.created_at_ms);
  if (v.finished_at_ms) { w.Key("finished_at_ms"); w.Int64(v.finished_at_ms); }
  w.Key("progress"); WriteImportProgress(w, v.progress);
  w.Key("rejections"); WriteRejections(w, v.rejections);
  if (v.report) { w.Key("report"); WriteImportReport(w, *v.report); }
  if (!v.error.ok()) {
    w.Key("error");
    w.StartObject();
    w.Key("code"); Str(w, CodeName(v.error.code()));
    w.Key("message"); Str(w, v.error.message());
    w.EndObject();
  }
  w.EndObject();
}

Response JobResponse(const Result<ImportJobs::View>& v, int http = 200) {
  if (!v.ok()) return StatusResponse(v.status());
  Response r = JsonResponse(BuildJson([&](JsonWriter& w) { WriteJob(w, *v); }), http);
  if (http == 202) r.headers.emplace_back("Location", "/v1/import-jobs/" + v->id);
  return r;
}

// The body goes to a spool file as it arrives; once whole, the job starts on it and the
// request is answered (202) while the job imports.
class SpoolConsumer : public BodyConsumer {
 public:
  SpoolConsumer(ImportJobs* jobs, std::unique_ptr<ImportStream> stream, std::string format, int fd)
      : jobs_(jobs), stream_(std::move(stream)), format_(std::move(format)), fd_(fd) {}
  ~SpoolConsumer() override { Abort(); }

  Status Write(std::string_view slice) override {
    bytes_ += slice.size();
    while (!slice.empty()) {
      ssize_t n = ::write(fd_, slice.data(), slice.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::Internal(std::string("import job: spooling the body: ") + std::strerror(errno));
      slice.remove_prefix(static_cast<size_t>(n));
    }
    return Status::OK();
  }

  Response Finish() override {
    if (bytes_ == 0) {
      Abort();
      return StatusResponse(Status::InvalidArgument("body: nothing to import"));
    }
    const int fd = std::exchange(fd_, -1);
    return JobResponse(jobs_->Start(std::move(stream_), format_, fd), 202);
  }

  void Abort() override {
    if (fd_ < 0) return;
    ::close(std::exchange(fd_, -1));
    stream_->cancel();
    (void)stream_->finish();  // nothing was written to it
    jobs_->Release();
  }

 private:
  ImportJobs* jobs_;
  std::unique_ptr<ImportStream> stream_;
  std::string format_;
  int fd_;
  uint64_t bytes_ = 0;
};

Result<std::unique_ptr<BodyConsumer>> StartImportJob(ServerState& st, const Request& r, const Params&) {
  ImportOptions o;
  COMMERCE_RETURN_IF_ERROR(ImportOptionsOf(r, &o));
  // The options are checked (a stream made) and a slot taken before a byte of the body is read.
  COMMERCE_ASSIGN_OR_RETURN(auto stream, st.engine->catalog().start_import(o));
  Status slot = st.import_jobs->Reserve();
  if (!slot.ok()) {
    stream->cancel();
    (void)stream->finish();
    return slot;
  }
  auto fd = OpenSpoolFile();
  if (!fd.ok()) {
    stream->cancel();
    (void)stream->finish();
    st.import_jobs->Release();
    return fd.status();
  }
  return std::unique_ptr<BodyConsumer>(new SpoolConsumer(st.import_jobs.get(), std::move(stream), o.format, *fd));
}

Response ListImportJobs(ServerState& st, const Request& r, const Params&) {
  Status s = OnlyParams(r, {});
  if (!s.ok()) return StatusResponse(s);
  auto jobs = st.import_jobs->List();
  const size_t busy = st.import_jobs->Busy();
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    // Slots: a client that would start one sees whether it would be 429.
    w.Key("busy"); w.Uint64(busy);
    w.Key("max_running"); w.Uint64(ImportJobs::kMaxRunning);
    w.Key("items");
    w.StartArray();
    for (const auto& v : jobs) WriteJob(w, v);
    w.EndArray();
    w.EndObject();
  }));
}

Response GetImportJob(ServerState& st, const Request& r, const Params& p) {
  Status s = OnlyParams(r, {});
  if (!s.ok()) return StatusResponse(s);
  return JobResponse(st.import_jobs->Get(p[0]));
}

Response CancelImportJob(ServerState& st, const Request&, const Params& p) {
  return JobResponse(st.import_jobs->Cancel(p[0]));
}

}  // namespace

void AddImportJobRoutes(std::vector<Route>* r) {
  r->push_back({"POST", "/v1/import-jobs", Scope::kAdmin, Exec::kPool, Body::kStream, nullptr, StartImportJob});
  r->push_back({"GET", "/v1/import-jobs", Scope::kAdmin, Exec::kPool, Body::kNone, ListImportJobs});
  r->push_back({"GET", "/v1/import-jobs/{id}", Scope::kAdmin, Exec::kPool, Body::kNone, GetImportJob});
  r->push_back({"POST", "/v1/import-jobs/{id}/cancel", Scope::kAdmin, Exec::kPool, Body::kNone, CancelImportJob});
}

}  // namespace commerce::server
