// The engine's replica id: who made a cart's adds (the "dots" of include/commerce/cart.h), so
// that two copies of a cart edited apart merge without confusing their adds.
//
// One id per writer that can act on its own: on a local driver that is the store (one process
// owns it, and the id lives in its meta table, so a backup carries it); on a store that other
// processes share (a kRemote driver, PostgreSQL) it is each process's local directory, where
// the id is kept in a file, so that three instances behind one load balancer each have their
// own and each keeps its own across restarts.
#pragma once

#include <string>

#include "commerce/status.h"

namespace commerce {

class EngineCore;

// `dir`: the engine's local directory (EngineOptions::path). Made on first use and kept;
// Corruption for a damaged id file, Unavailable when it cannot be written.
Result<std::string> LoadReplicaId(EngineCore& core, const std::string& dir);

}  // namespace commerce
