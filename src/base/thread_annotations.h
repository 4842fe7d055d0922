// Clang's thread-safety analysis (-Wthread-safety) as macros: which mutex
// guards a member, which a function needs held, which it takes or lets go.
// Under any other compiler they expand to nothing. Prefixed, because
// Abseil's older headers define the unprefixed names. See
// https://clang.llvm.org/docs/ThreadSafetyAnalysis.html; use them with
// base/mutex.h (libstdc++'s std::mutex carries no annotations). Checked by
// the build with -DADLIK_THREAD_SAFETY_ANALYSIS=ON (scripts/test.sh).
//
//   Mutex mu_;
//   int count_ ADLIK_GUARDED_BY(mu_);
//   void Bump() ADLIK_REQUIRES(mu_);
//
// Thread-safety: macros only.
#ifndef ADLIK_BASE_THREAD_ANNOTATIONS_H_
#define ADLIK_BASE_THREAD_ANNOTATIONS_H_

#if defined(__clang__)
#define ADLIK_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define ADLIK_THREAD_ANNOTATION(x)
#endif

#define ADLIK_CAPABILITY(x) ADLIK_THREAD_ANNOTATION(capability(x))
#define ADLIK_SCOPED_CAPABILITY ADLIK_THREAD_ANNOTATION(scoped_lockable)
#define ADLIK_GUARDED_BY(x) ADLIK_THREAD_ANNOTATION(guarded_by(x))
#define ADLIK_PT_GUARDED_BY(x) ADLIK_THREAD_ANNOTATION(pt_guarded_by(x))
#define ADLIK_ACQUIRED_BEFORE(...) \
  ADLIK_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define ADLIK_ACQUIRED_AFTER(...) \
  ADLIK_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define ADLIK_REQUIRES(...) \
  ADLIK_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define ADLIK_ACQUIRE(...) \
  ADLIK_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ADLIK_RELEASE(...) \
  ADLIK_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define ADLIK_EXCLUDES(...) ADLIK_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ADLIK_ASSERT_CAPABILITY(x) ADLIK_THREAD_ANNOTATION(assert_capability(x))
#define ADLIK_RETURN_CAPABILITY(x) ADLIK_THREAD_ANNOTATION(lock_returned(x))
#define ADLIK_NO_THREAD_SAFETY_ANALYSIS \
  ADLIK_THREAD_ANNOTATION(no_thread_safety_analysis)

#endif  // ADLIK_BASE_THREAD_ANNOTATIONS_H_
