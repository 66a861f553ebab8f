// commerce: the command-line tool over the engine — import, get, stats, events, generate,
// search, reindex, backup, verify, serve, and demo (the README's main job).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "commands.h"
#include "commerce/version.h"

using namespace commerce::cli;

namespace {
void AddStore(CLI::App* cmd, StoreArgs* s, StoreUse use) {
  cmd->add_option("--data", s->data,
                  use == StoreUse::kWrite ? "store directory (created if absent)"
                                          : "store directory (must hold a store)")
      ->capture_default_str();
  cmd->add_option("--driver", s->driver, "storage driver (postgres: the server from COMMERCE_PG_URL)")
      ->check(CLI::IsMember({"lmdb", "sqlite", "postgres"}))
      ->capture_default_str();
  // No --pg-url: a password on a command line is visible to every user through ps.
  cmd->add_option("--pg-schema", s->pg_schema, "PostgreSQL schema of the store (driver postgres)")
      ->capture_default_str();
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"commerce: an embeddable commerce engine from the command line: import, read and "
               "search a catalog, inspect the event log, back up and verify a store, serve it "
               "over HTTP"};
  app.set_version_flag("--version", std::string("commerce ") + COMMERCE_VERSION_STRING);
  app.require_subcommand(1);
  app.footer("`commerce COMMAND --help` shows a command's options. Read commands (get, stats, "
             "events, search, reindex) open an existing store only; import and demo create one. "
             "Docs: README.md and docs/.");

  ImportArgs imp;
  auto* import = app.add_subcommand("import", "bulk-import products from JSON Lines, a JSON array or CSV");
  AddStore(import, &imp.store, StoreUse::kWrite);
  import->add_option("file", imp.file, "file to import")->required();
  import->add_option("--format", imp.format, "auto, jsonl, json or csv")
      ->check(CLI::IsMember({"auto", "jsonl", "json", "csv"}))->capture_default_str();
  import->add_option("--mapping", imp.mapping, "field-mapping file for a foreign schema (docs/catalog.md)");
  import->add_option("--currency", imp.currency, "currency of records that name none")->capture_default_str();
  import->add_option("--show-rejections", imp.show_rejections, "rejected records to print")->capture_default_str();

  StoreArgs get_store;
  std::string sku, id;
  auto* get = app.add_subcommand("get", "print a product as JSON, by SKU or id");
  AddStore(get, &get_store, StoreUse::kRead);
  auto* sku_opt = get->add_option("--sku", sku, "the SKU of one of its variants");
  auto* id_opt = get->add_option("--id", id, "the product id");
  sku_opt->excludes(id_opt);

  StoreArgs stats_store;
  auto* stats = app.add_subcommand("stats", "counts of products, SKUs, categories, events; storage counters");
  AddStore(stats, &stats_store, StoreUse::kRead);

  StoreArgs events_store;
  uint64_t from = 0;
  size_t limit = 20;
  auto* events = app.add_subcommand("events", "print events of the log from a sequence number");
  AddStore(events, &events_store, StoreUse::kRead);
  events->add_option("--from", from, "first sequence number (0: the oldest kept)")->capture_default_str();
  events->add_option("--limit", limit, "how many")->check(CLI::Range(1, 10000))->capture_default_str();
  TrimArgs trim_args;
  auto* trim = AddTrimCommand(events, &trim_args);

  GenerateArgs gen;
  auto* generate = app.add_subcommand("generate", "write a deterministic sample catalog as JSON Lines");
  generate->add_option("--products", gen.products, "number of products")->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}))->capture_default_str();
  generate->add_option("--seed", gen.seed, "generator seed")->capture_default_str();
  generate->add_option("--out", gen.out, "output file (JSON Lines)")->required();

  DemoArgs demo;
  auto* demo_cmd = app.add_subcommand("demo", "the main job: load a catalog into an embedded store and show it working");
  AddStore(demo_cmd, &demo.store, StoreUse::kWrite);
  demo_cmd->add_option("--products", demo.products, "size of the generated sample catalog")->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}))->capture_default_str();
  demo_cmd->add_option("--seed", demo.seed, "generator seed")->capture_default_str();
  demo_cmd->add_option("--file", demo.file, "import this catalog instead of a generated one");
  demo_cmd->add_option("--mapping", demo.mapping, "field mapping for --file");
  demo_cmd->add_flag("--keep", demo.keep, "keep an existing store at --data instead of starting afresh");

  SearchArgs sa;
  auto* search = app.add_subcommand("search", "search products: free text, filters, facets, sorts");
  AddStore(search, &sa.store, StoreUse::kRead);
  search->add_option("text", sa.text, "the query (empty: browse by the filters)");
  search->add_option("--brand", sa.brands, "only this brand (repeatable)");
  search->add_option("--category", sa.categories, "only this category id and below (repeatable)");
  search->add_option("--min-price", sa.price_min, "lowest price, minor units (cents)");
  search->add_option("--max-price", sa.price_max, "highest price, minor units (cents)");
  search->add_flag("--in-stock", sa.in_stock, "only products in stock");
  search->add_option("--facets", sa.facets, "comma-separated: brand, category, price");
  search->add_option("--sort", sa.sort, "relevance, popularity, price_asc, price_desc, newest");
  search->add_option("--offset", sa.offset, "first result")->capture_default_str();
  search->add_option("--limit", sa.limit, "results")->capture_default_str();
  search->add_flag("--explain", sa.explain,
                   "under each hit, how it got its place: the text it was found by, its BM25 weight "
                   "and the terms that made it, the merchandising rules that placed it, the sort");

  StoreArgs reindex_store;
  uint32_t shards = 0;
  auto* reindex = app.add_subcommand("reindex", "rebuild the search index from the catalog, with progress");
  AddStore(reindex, &reindex_store, StoreUse::kRead);
  reindex->add_option("--shards", shards, "shards written in parallel (0: keep the current count)")
      ->check(CLI::Range(0, 16))->capture_default_str();

  BackupArgs backup_args;
  auto* backup = AddBackupCommand(&app, &backup_args);
  VerifyArgs verify_args;
  auto* verify = AddVerifyCommand(&app, &verify_args);

#ifdef COMMERCE_CLI_SERVE
  commerce::server::ServerOptions serve_opts;
  if (!commerce::server::ApplyConfigFromArgs(argc, argv, &serve_opts)) return 2;
  auto* serve = AddServeCommand(&app, &serve_opts);
  KeysArgs keys_args;
  auto* keys_create = AddKeysCommand(&app, &keys_args);
#endif

  CLI11_PARSE(app, argc, argv);
  // Line-buffered, so results and the progress lines on stderr appear in order in a log.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  if (*import) return RunImport(imp);
  if (*get) {
    if (sku.empty() && id.empty()) {
      std::fprintf(stderr, "get: give --sku or --id\n");
      return 2;
    }
    return RunGet(get_store, sku, id);
  }
  if (*stats) return RunStats(stats_store);
  if (*trim) return RunTrim(trim_args);
  if (*events) return RunEvents(events_store, from, limit);
  if (*generate) return RunGenerate(gen);
  if (*demo_cmd) return RunDemo(demo);
  if (*search) return RunSearch(sa);
  if (*reindex) return RunReindex(reindex_store, shards);
  if (*backup) return RunBackup(backup_args);
  if (*verify) return RunVerify(verify_args);
#ifdef COMMERCE_CLI_SERVE
  if (*serve) return RunServe(serve_opts);
  if (*keys_create) return RunKeysCreate(keys_args);
#endif
  return 2;
}
