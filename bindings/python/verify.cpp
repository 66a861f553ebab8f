// Binds include/commerce/verify.h: commerce.verify(path) on a closed store and
// Engine.verify() on an open one (engine.cpp), and the report they return.
#include "commerce/verify.h"

#include <pybind11/stl/filesystem.h>

#include <filesystem>

#include "bind.h"

namespace commerce::python {

void BindVerify(py::module_& m) {
  Value<VerifyProgress>(m, "VerifyProgress", "Where a verify run is: stage, table, records done.")
      .field("stage", &VerifyProgress::stage, "'pages', 'records', 'search'.")
      .field("table", &VerifyProgress::table, "The table being read, if any.")
      .field("done", &VerifyProgress::done, "Records or pages read so far in this stage.");

  Value<VerifyProblem>(m, "VerifyProblem", "One thing verify found wrong.")
      .field("check", &VerifyProblem::check, "The check that found it: 'pages', 'records', 'skus', 'stock', ...")
      .field("where", &VerifyProblem::where, "The file and page, or the table and key.")
      .field("what", &VerifyProblem::what, "What is wrong.");

  Value<VerifyReport>(m, "VerifyReport",
                      "What verify found: problems (at most max_problems_per_check per check; "
                      "problem_counts has them all), records read per table, notes on what was "
                      "not checked. ok() when there is no problem.")
      .field("path", &VerifyReport::path, "The store checked.")
      .field("driver", &VerifyReport::driver, "'lmdb' or 'sqlite'.")
      .field("problems", &VerifyReport::problems, "list of VerifyProblem.")
      .field("problem_counts", &VerifyReport::problem_counts, "check -> problems found.")
      .field("records", &VerifyReport::records, "table -> records read.")
      .field("unchecksummed_records", &VerifyReport::unchecksummed_records,
             "Records written before record checksums (no checksum to check).")
      .field("events", &VerifyReport::events, "The newest event's sequence.")
      .field("notes", &VerifyReport::notes, "What was not checked, and why.")
      .field("seconds", &VerifyReport::seconds, "How long it took.")
      .def("ok", &VerifyReport::ok, "True when no problem was found.")
      .def("problem_total", &VerifyReport::problem_total, "Problems found, over every check.")
      .def("to_text", &VerifyReport::ToText, "The report as `commerce verify` prints it.")
      .def("to_json", &VerifyReport::ToJson, "The report as `commerce verify --json` prints it.");

  m.def(
      "verify",
      [](const std::filesystem::path& path, const std::string& driver, bool search,
         size_t max_problems_per_check, py::object progress) {
        VerifyOptions o;
        o.path = path.string();
        o.driver = driver;
        o.search = search;
        o.max_problems_per_check = max_problems_per_check;
        std::optional<PyCallback> cb;
        if (!progress.is_none()) {
          cb.emplace(progress);
          o.progress = [cb = *cb](const VerifyProgress& p) { cb(p); };
        }
        Result<VerifyReport> r = Status::Internal("not run");
        {
          py::gil_scoped_release release;
          r = VerifyStore(o);
          o.progress = nullptr;
        }
        if (cb) cb->Rethrow();
        return r;
      },
      py::arg("path"), py::arg("driver") = "", py::arg("search").noconvert() = true,
      py::arg("max_problems_per_check") = 100, py::arg("progress") = py::none(),
      "Checks a closed store (commerce verify): every page, record, checksum and invariant "
      "across records, and the search index. Returns a VerifyReport (report.ok() when sound). "
      "Raises NotFound when there is no store at path, Unavailable when another process has "
      "it open (verify a backup instead), InvalidArgument for a bad driver. progress, if "
      "given, is called with a VerifyProgress as the check moves.");
}

}  // namespace commerce::python
