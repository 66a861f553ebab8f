// Imports as jobs: see import_jobs.h.
#include "import_jobs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>

namespace commerce::server {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "imp-" and 16 hex digits: not a secret (the routes are admin), only unique in this process.
std::string NewJobId() {
  static std::mutex mu;
  static std::mt19937_64 gen{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  static const char kHex[] = "0123456789abcdef";
  uint64_t v = gen();
  std::string id = "imp-";
  for (int i = 60; i >= 0; i -= 4) id += kHex[(v >> i) & 0xf];
  return id;
}

// The spool is read back in slices of this size: the importer's memory bound does not grow
// with the body.
constexpr size_t kReadSlice = 1 << 20;

}  // namespace

struct ImportJobs::Job {
  std::string id;
  std::string format;
  uint64_t bytes = 0;  // the spooled body's
  int64_t created_at_ms = 0;
  std::unique_ptr<ImportStream> stream;
  // GUARDED_BY(ImportJobs::mu_):
  bool cancel_requested = false;
  bool finished = false;
  int64_t finished_at_ms = 0;
  std::optional<ImportReport> report;
  Status error;
};

namespace {
std::condition_variable& JobsDone() {
  static std::condition_variable cv;  // the jobs' threads signal the last one's end
  return cv;
}
}  // namespace

Result<int> OpenSpoolFile() {
  const char* env = std::getenv("TMPDIR");
  std::string dir = env && *env ? env : "/tmp";
  int fd = -1;
#ifdef O_TMPFILE
  fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
#endif
  std::string name = dir + "/commerce-import-XXXXXX";
  fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0)
    return Status::Internal("import job: cannot create a spool file in " + dir + ": " + std::strerror(errno));
  ::unlink(name.c_str());
  return fd;
}

ImportJobs::ImportJobs(Engine* engine) : engine_(engine) {}

ImportJobs::~ImportJobs() {
  std::unique_lock<std::mutex> lock(mu_);
  for (auto& [id, job] : jobs_)
    if (!job->finished) {
      job->cancel_requested = true;
      job->stream->cancel();
    }
  JobsDone().wait(lock, [&] {
    for (const auto& [id, job] : jobs_)
      if (!job->finished) return false;
    return true;
  });
}

Status ImportJobs::Reserve() {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_ >= kMaxRunning)
    return Status::ResourceExhausted("import jobs: " + std::to_string(kMaxRunning) +
                                     " already running; wait for one to finish (GET /v1/import-jobs)");
  ++running_;
  return Status::OK();
}

void ImportJobs::Release() {
  std::lock_guard<std::mutex> lock(mu_);
  --running_;
}

Result<ImportJobs::View> ImportJobs::Start(std::unique_ptr<ImportStream> stream, std::string format, int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const Status error = Status::Internal(std::string("import job: the spool file: ") + std::strerror(errno));
    ::close(fd);
    stream->cancel();
    Release();
    return error;
  }
  auto job = std::make_unique<Job>();
  job->format = std::move(format);
  job->bytes = static_cast<uint64_t>(st.st_size);
  job->stream = std::move(stream);
  job->created_at_ms = NowMs();
  Job* raw = job.get();
  View view;
  {
    std::lock_guard<std::mutex> lock(mu_);
    do job->id = NewJobId();
    while (jobs_.count(job->id));
    jobs_[job->id] = std::move(job);
    view = ViewOf(*raw);
  }
  // Detached: the job's end is waited for through JobsDone (the destructor), and a finished
  // job may be forgotten by Forget() while its thread returns.
  std::thread([this, raw, fd] { Run(raw, fd); }).detach();
  return view;
}

void ImportJobs::Run(Job* job, int fd) {
  std::string slice(kReadSlice, '\0');
  Status read_error;
  for (off_t at = 0;;) {
    ssize_t n = ::pread(fd, slice.data(), slice.size(), at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      read_error = Status::Internal(std::string("import job: reading the spool file: ") + std::strerror(errno));
      job->stream->cancel();
      break;
    }
    if (n == 0) break;
    at += n;
    // An error here (a broken input, a cancel) comes back from finish(), which keeps what came
    // before it.
    if (!job->stream->write(std::string_view(slice.data(), static_cast<size_t>(n))).ok()) break;
  }
  ::close(fd);
  auto report = job->stream->finish();
  std::lock_guard<std::mutex> lock(mu_);
  job->finished = true;
  job->finished_at_ms = NowMs();
  if (!read_error.ok()) job->error = read_error;
  else if (!report.ok()) job->error = report.status();
  else job->report = std::move(*report);
  --running_;
  Forget();
  JobsDone().notify_all();  // under mu_: the destructor cannot be gone before it
}

void ImportJobs::Forget() {
  size_t finished = 0;
  for (const auto& [id, job] : jobs_) finished += job->finished;
  while (finished > kMaxFinishedKept) {
    auto oldest = jobs_.end();
    for (auto it = jobs_.begin(); it != jobs_.end(); ++it)
      if (it->second->finished && (oldest == jobs_.end() || it->second->created_at_ms < oldest->second->created_at_ms))
        oldest = it;
    jobs_.erase(oldest);
    --finished;
  }
}

ImportJobs::View ImportJobs::ViewOf(const Job& job) {
  View v;
  v.id = job.id;
  v.format = job.format;
  v.created_at_ms = job.created_at_ms;
  v.finished_at_ms = job.finished_at_ms;
  v.progress = job.stream->progress();
  // A chunked upload had no Content-Length for the importer; the spool knows the size.
  if (v.progress.bytes_total == 0) v.progress.bytes_total = job.bytes;
  if (!job.finished) {
    v.state = job.cancel_requested ? "cancelling" : "running";
    v.rejections = job.stream->rejections();
  } else if (!job.error.ok()) {
    v.state = "failed";
    v.error = job.error;
    v.rejections = job.stream->rejections();
  } else {
    v.state = job.report->cancelled ? "cancelled" : "succeeded";
    v.report = job.report;
    v.rejections = job.report->rejections;
  }
  return v;
}

Result<ImportJobs::View> ImportJobs::Get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return Status::NotFound("no import job '" + id + "' (jobs live in the instance that took them, until it restarts)");
  return ViewOf(*it->second);
}

std::vector<ImportJobs::View> ImportJobs::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<View> out;
  for (const auto& [id, job] : jobs_) out.push_back(ViewOf(*job));
  std::sort(out.begin(), out.end(), [](const View& a, const View& b) {
    return a.created_at_ms != b.created_at_ms ? a.created_at_ms > b.created_at_ms : a.id < b.id;
  });
  return out;
}

size_t ImportJobs::Busy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_;
}

Result<ImportJobs::View> ImportJobs::Cancel(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return Status::NotFound("no import job '" + id + "'");
  Job& job = *it->second;
  if (job.finished) {
    View v = ViewOf(job);
    return Status::Conflict("import job '" + id + "' has already finished (" + v.state + ")");
  }
  job.cancel_requested = true;
  job.stream->cancel();
  return ViewOf(job);
}

}  // namespace commerce::server
