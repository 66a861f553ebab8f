// Imports as jobs (POST /v1/import-jobs, docs/server.md "Imports as jobs"): the body is spooled
// to an unnamed temporary file as it arrives (at most --max-import-bytes), then a thread of the
// job feeds it to the catalog's streaming importer (ImportStream, catalog.h) while clients
// watch the job (progress, counts, the rejections so far) and may cancel it. The synchronous
// POST /v1/products/import answers only at the end; a job answers at once with its id, so that
// a client can draw a progress bar and offer a cancel button.
//
// Jobs live in this process: a restart forgets them (what they imported stays imported and
// durable), and behind a load balancer a job is found only on the instance that took it.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "commerce/catalog.h"
#include "commerce/engine.h"

namespace commerce::server {

class ImportJobs {
 public:
  // Jobs importing at once; one more is ResourceExhausted (429) before its body is read.
  static constexpr size_t kMaxRunning = 2;
  // Finished jobs kept for GET, newest first; older ones are forgotten.
  static constexpr size_t kMaxFinishedKept = 100;

  // What a client sees of a job.
  struct View {
    std::string id;
    std::string state;  // "running", "cancelling", "succeeded", "cancelled", "failed"
    int64_t created_at_ms = 0;
    int64_t finished_at_ms = 0;  // 0 while running
    std::string format;
    ImportProgress progress;
    std::vector<Rejection> rejections;  // so far (the report's, once finished)
    std::optional<ImportReport> report;  // once succeeded or cancelled
    Status error;                        // once failed: why (what came before it stays)
  };

  explicit ImportJobs(Engine* engine);  // out of line: Job is complete only there
  // Cancels the running jobs and waits for them (what they imported is kept, durable).
  ~ImportJobs();

  // A running slot for an upload about to start; ResourceExhausted when kMaxRunning jobs run
  // or upload. Each slot is given back by Start() or Release().
  Status Reserve();
  void Release();
  // Starts a job over the reserved slot: `fd` is the spooled body (read from offset 0; the
  // job closes it), `stream` the importer it feeds (made when the request came, so that its
  // options were checked before the body was read), `format` its input's format. The job's
  // view as it starts.
  Result<View> Start(std::unique_ptr<ImportStream> stream, std::string format, int fd);

  Result<View> Get(const std::string& id) const;
  // Every job kept, newest first.
  std::vector<View> List() const;
  // Slots in use: jobs running and uploads under way (at most kMaxRunning).
  size_t Busy() const;
  // Asks a running job to stop: records not yet handed to the writer are dropped, what was
  // imported is kept. Conflict when the job has already finished; NotFound when there is none.
  Result<View> Cancel(const std::string& id);

 private:
  struct Job;
  static View ViewOf(const Job& job);
  void Run(Job* job, int fd);
  void Forget();  // drops the oldest finished jobs beyond kMaxFinishedKept; mu_ held

  Engine* engine_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Job>> jobs_;  // GUARDED_BY(mu_)
  size_t running_ = 0;                                // GUARDED_BY(mu_): reserved slots too
};

// An unnamed temporary file for a spooled body ($TMPDIR or /tmp; O_TMPFILE, else mkstemp and
// unlink), gone when its descriptor is closed, even if the process dies.
Result<int> OpenSpoolFile();

}  // namespace commerce::server
