// A futex word: sleep until a 32-bit counter moves, and wake every sleeper with one system
// call (Linux futex(2), private to the process).
//
// Why not std::atomic<uint32_t>::wait: libstdc++ 12 spins before it sleeps, and the last rounds
// of the spin are sched_yield calls: four system calls per wait before the one that sleeps,
// which is the cost this exists to cut (a group writer's callers, storage/group_writer.h).
//
// The pattern (an event count): the waiter reads the word, then checks its condition, then
// sleeps only if the word still holds what it read; the waker makes the condition true, then
// moves the word, then wakes. A waker that moved the word between the read and the sleep makes
// the sleep return at once, so no wake is lost.
//
// Thread safety: any thread may wait on or wake a word; the word must outlive every call.
#pragma once

#include <atomic>
#include <cstdint>

namespace commerce {

// Sleeps while `word` holds `expected`. May return early (a wake for another reason, a signal):
// callers re-check their condition in a loop.
void FutexWait(std::atomic<uint32_t>& word, uint32_t expected);

// Wakes every thread sleeping in FutexWait on `word`.
void FutexWakeAll(std::atomic<uint32_t>& word);

}  // namespace commerce
