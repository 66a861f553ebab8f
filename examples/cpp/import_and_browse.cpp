// Bulk-import a catalog file with a progress line, then browse its category tree.
//   build/bin/example_import_and_browse /tmp/shop products.jsonl [mapping.json]
#include <commerce/commerce.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s STORE_DIR FILE [MAPPING]\n", argv[0]);
    return 2;
  }
  auto engine = commerce::Engine::open({.path = argv[1]});
  if (!engine.ok()) { std::fprintf(stderr, "%s\n", engine.status().ToString().c_str()); return 1; }
  auto& catalog = (*engine)->catalog();

  commerce::ImportOptions options;
  if (argc > 3) options.mapping_path = argv[3];
  options.progress = [](const commerce::ImportProgress& p) {
    std::fprintf(stderr, "\r%llu imported, %llu rejected", (unsigned long long)p.imported,
                 (unsigned long long)p.rejected);
  };
  auto report = catalog.import_file(argv[2], options);
  if (!report.ok()) { std::fprintf(stderr, "\n%s\n", report.status().ToString().c_str()); return 1; }
  std::fprintf(stderr, "\n");
  for (const auto& r : report->rejections)
    std::printf("line %llu: %s: %s\n", (unsigned long long)r.line, r.field.c_str(), r.reason.c_str());

  auto roots = catalog.list_categories();
  if (!roots.ok()) return 1;
  for (const auto& root : *roots) {
    commerce::ListOptions first_page;
    first_page.limit = 3;
    auto page = catalog.list_by_category(root.id, first_page);
    if (!page.ok()) return 1;
    std::printf("%s\n", root.name.c_str());
    for (const auto& p : page->items) std::printf("  %s  %s\n", p.id.c_str(), p.title.c_str());
  }
  return 0;
}
