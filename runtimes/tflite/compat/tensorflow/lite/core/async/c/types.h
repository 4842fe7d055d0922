// Not part of TFLite's AAR headers (2.16.1), which c_api.h includes: the
// opaque types of TFLite's asynchronous API, which the runtime does not use.
#ifndef TENSORFLOW_LITE_CORE_ASYNC_C_TYPES_H_
#define TENSORFLOW_LITE_CORE_ASYNC_C_TYPES_H_

typedef struct TfLiteAsyncKernel TfLiteAsyncKernel;
typedef struct TfLiteAsyncSignatureRunner TfLiteAsyncSignatureRunner;

#endif  // TENSORFLOW_LITE_CORE_ASYNC_C_TYPES_H_
