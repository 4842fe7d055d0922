// Not part of TFLite's AAR headers (2.16.1), which c_api.h includes: the
// opaque type of a custom operator's registration, which c_api.h names and
// the runtime does not use.
#ifndef TENSORFLOW_LITE_CORE_C_REGISTRATION_EXTERNAL_H_
#define TENSORFLOW_LITE_CORE_C_REGISTRATION_EXTERNAL_H_

#include "tensorflow/lite/core/c/c_api_types.h"

typedef struct TfLiteRegistrationExternal TfLiteRegistrationExternal;

#endif  // TENSORFLOW_LITE_CORE_C_REGISTRATION_EXTERNAL_H_
