// TFLite's XNNPack delegate (TFLite's own
// tensorflow/lite/delegates/xnnpack/xnnpack_delegate.h is not among the AAR's
// headers), declared as far as the runtime uses it. The library's C API
// interpreter does not apply XNNPack by itself.
//
// TfLiteXNNPackDelegateOptions grows between TFLite versions; only its first
// member, num_threads, is the same in all of them, and is the only one the
// runtime sets. The struct here is larger than the library's: both are
// returned through memory (x86-64 System V: structs over 16 bytes), so
// TfLiteXNNPackDelegateOptionsDefault writes its own size into it and the
// delegate reads no more than that.
#ifndef ADLIK_RUNTIMES_TFLITE_COMPAT_XNNPACK_DELEGATE_H_
#define ADLIK_RUNTIMES_TFLITE_COMPAT_XNNPACK_DELEGATE_H_

#include <stdint.h>

#include "tensorflow/lite/c/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t num_threads;  // threads of the delegate's pool; 0: none
  unsigned char library_owned[508];
} TfLiteXNNPackDelegateOptions;

TfLiteXNNPackDelegateOptions TfLiteXNNPackDelegateOptionsDefault(void);
TfLiteDelegate* TfLiteXNNPackDelegateCreate(
    const TfLiteXNNPackDelegateOptions* options);
void TfLiteXNNPackDelegateDelete(TfLiteDelegate* delegate);

#ifdef __cplusplus
}
#endif

#endif  // ADLIK_RUNTIMES_TFLITE_COMPAT_XNNPACK_DELEGATE_H_
