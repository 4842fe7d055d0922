/*
 * The example runtime in plain C99: libadlik_runtime_example_c.so.
 *
 * The minimum a vendor writes to serve a model: the C API of
 * include/adlik/runtime_api.h and nothing else (no C++, no library of the
 * server). It serves the same model.txt as the C++ example runtime
 * (runtimes/example/):
 *
 *     input  INPUT0 INT32 16          input NAME TYPE DIM...
 *     input  INPUT1 INT32 16          TYPE: INT32, INT64, FP32 or FP64
 *     output OUTPUT0 = INPUT0 + INPUT1   output NAME = A OP B, OP: + - *
 *
 * DIMs leave out the batch dimension; with max_batch_size > 0 every tensor
 * gets a leading one of any size (-1). Blank lines and text from '#' on are
 * ignored. Build it with
 *
 *     cc -std=c99 -Wall -Werror -shared -fPIC -Iinclude \
 *        runtimes/example_c/example_c.c -o OUT/libadlik_runtime_example_c.so
 *
 * (every .c file of this folder; there is one)
 * and serve a model whose config says `backend: "example_c"` from a server
 * started with --runtime_dir=OUT.
 *
 * Thread-safety: a Program is immutable once parsed, so instances read it
 * without locks; nothing else is shared. Ownership: each Init allocates its
 * state, the matching Fini frees it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adlik/runtime_api.h"

#define MAX_TENSORS 64
#define MAX_RANK 8
#define MAX_NAME 64
#define MAX_LINE 1024

static const AdlikServerApi* api; /* set once by AdlikRuntimeInit */

typedef struct Spec {
  char name[MAX_NAME];
  AdlikDataType type;
  int64_t shape[MAX_RANK + 1]; /* batch dimension included */
  uint32_t rank;
} Spec;

typedef struct Operation {
  Spec out; /* type and shape of its operands */
  int lhs, rhs;
  char op;
} Operation;

typedef struct Program {
  Spec inputs[MAX_TENSORS];
  int input_count;
  Operation ops[MAX_TENSORS];
  int op_count;
} Program;

typedef struct Instance {
  const Program* program; /* the model's */
  char name[MAX_NAME * 2];
} Instance;

/* ---- errors -------------------------------------------------------- */

static AdlikError* Error(AdlikErrorCode code, const char* format,
                         const char* a, long n, const char* b) {
  char message[512];
  snprintf(message, sizeof message, format, a, n, b);
  return api->error_new(code, message);
}

static size_t TypeSize(AdlikDataType type) {
  switch (type) {
    case ADLIK_TYPE_INT32:
    case ADLIK_TYPE_FP32:
      return 4;
    case ADLIK_TYPE_INT64:
    case ADLIK_TYPE_FP64:
      return 8;
    default:
      return 0;
  }
}

static int ParseType(const char* word, AdlikDataType* type) {
  if (strcmp(word, "INT32") == 0) *type = ADLIK_TYPE_INT32;
  else if (strcmp(word, "INT64") == 0) *type = ADLIK_TYPE_INT64;
  else if (strcmp(word, "FP32") == 0) *type = ADLIK_TYPE_FP32;
  else if (strcmp(word, "FP64") == 0) *type = ADLIK_TYPE_FP64;
  else return 0;
  return 1;
}

/* ---- 1. the engine file ------------------------------------------- */

/* Splits `line` in place into at most `max` words; returns how many. */
static int Words(char* line, char** words, int max) {
  int n = 0;
  char* p = line;
  for (;;) {
    while (*p != '\0' && isspace((unsigned char)*p)) ++p;
    if (*p == '\0' || n == max) return n;
    words[n++] = p;
    while (*p != '\0' && !isspace((unsigned char)*p)) ++p;
    if (*p != '\0') *p++ = '\0';
  }
}

static int FindInput(const Program* p, const char* name) {
  int i;
  for (i = 0; i < p->input_count; ++i)
    if (strcmp(p->inputs[i].name, name) == 0) return i;
  return -1;
}

static AdlikError* ParseLine(Program* p, char* line, const char* where,
                             int batched) {
  char* w[MAX_RANK + 4];
  int n, i;
  char* hash = strchr(line, '#');
  if (hash != NULL) *hash = '\0';
  n = Words(line, w, MAX_RANK + 4);
  if (n == 0) return NULL;
  if (n < 2) return Error(ADLIK_ERROR_INVALID_ARGUMENT, "%s%.0ld%s", where, 0,
                          "a name is missing");
  if (strlen(w[1]) >= MAX_NAME) {
    return Error(ADLIK_ERROR_INVALID_ARGUMENT, "%s%.0ld'%s' is too long",
                 where, 0, w[1]);
  }
  if (strcmp(w[0], "input") == 0) {
    Spec* s;
    if (p->input_count == MAX_TENSORS) {
      return Error(ADLIK_ERROR_INVALID_ARGUMENT, "%s%.0ldtoo many inputs%s",
                   where, 0, "");
    }
    if (FindInput(p, w[1]) >= 0) {
      return Error(ADLIK_ERROR_INVALID_ARGUMENT,
                   "%s%.0ldinput '%s' declared twice", where, 0, w[1]);
    }
    s = &p->inputs[p->input_count];
    strcpy(s->name, w[1]);
    if (n < 3 || !ParseType(w[2], &s->type)) {
      return Error(ADLIK_ERROR_INVALID_ARGUMENT,
                   "%s%.0ldinput '%s': the type is not one of INT32, INT64, "
                   "FP32, FP64",
                   where, 0, w[1]);
    }
    if (n < 4) {
      return Error(ADLIK_ERROR_INVALID_ARGUMENT,
                   "%s%.0ldinput '%s': at least one dimension is needed",
                   where, 0, w[1]);
    }
    if (n - 3 > MAX_RANK) {
      return Error(ADLIK_ERROR_INVALID_ARGUMENT,
                   "%s%.0ldinput '%s': too many dimensions", where, 0, w[1]);
    }
    s->rank = 0;
    if (batched) s->shape[s->rank++] = -1;
    for (i = 3; i < n; ++i) {
      char* end;
      long d = strtol(w[i], &end, 10);
      if (*end != '\0' || d < 1) {
        return Error(ADLIK_ERROR_INVALID_ARGUMENT,
                     "%s%.0ldinput '%s': a dimension is a whole number >= 1",
                     where, 0, w[1]);
      }
      s->shape[s->rank++] = d;
    }
    ++p->input_count;
    return NULL;
  }
  if (strcmp(w[0], "output") == 0) {
    Operation* o;
    const Spec *a, *b;
    int lhs, rhs;
    if (n != 6 || strcmp(w[2], "=") != 0 || strlen(w[4]) != 1 ||
        strchr("+-*", w[4][0]) == NULL) {
      return Error(ADLIK_ERROR_INVALID_ARGUMENT,
                   "%s%.0ldexpected 'output %s = A OP B' with OP one of + - *",
                   where, 0, w[1]);
    }
    lhs = FindInput(p, w[3]);
    rhs = FindInput(p, w[5]);
    if (lhs < 0 || rhs < 0) {
      return Error(ADLIK_ERROR_INVALID_ARGUMENT,
                   "%s%.0ldoutput uses an input not declared above it: '%s'",
                   where, 0, lhs < 0 ? w[3] : w[5]);
    }
    a = &p->inputs[lhs];
    b = &p->inputs[rhs];
    if (a->type != b->type || a->rank != b->rank ||
        memcmp(a->shape, b->shape, a->rank * sizeof(int64_t)) != 0) {
      return Error(ADLIK_ERROR_INVALID_ARGUMENT,
                   "%s%.0ldoutput '%s': its operands differ in type or "
                   "dimensions",
                   where, 0, w[1]);
    }
    for (i = 0; i < p->op_count; ++i) {
      if (strcmp(p->ops[i].out.name, w[1]) == 0) {
        return Error(ADLIK_ERROR_INVALID_ARGUMENT,
                     "%s%.0ldoutput '%s' declared twice", where, 0, w[1]);
      }
    }
    if (p->op_count == MAX_TENSORS) {
      return Error(ADLIK_ERROR_INVALID_ARGUMENT, "%s%.0ldtoo many outputs%s",
                   where, 0, "");
    }
    o = &p->ops[p->op_count++];
    o->out = *a;
    strcpy(o->out.name, w[1]);
    o->lhs = lhs;
    o->rhs = rhs;
    o->op = w[4][0];
    return NULL;
  }
  return Error(ADLIK_ERROR_INVALID_ARGUMENT,
               "%s%.0ld'%s' is neither 'input' nor 'output'", where, 0, w[0]);
}

static AdlikError* ParseFile(const char* path, int batched, Program* p) {
  char line[MAX_LINE + 2];
  char where[MAX_LINE];
  long number = 0;
  AdlikError* error = NULL;
  FILE* f = fopen(path, "r");
  if (f == NULL) {
    return Error(ADLIK_ERROR_NOT_FOUND, "cannot open model file %s%.0ld%s",
                 path, 0, "");
  }
  while (error == NULL && fgets(line, sizeof line, f) != NULL) {
    ++number;
    snprintf(where, sizeof where, "%s:%ld: ", path, number);
    if (strlen(line) > MAX_LINE) {
      error = Error(ADLIK_ERROR_INVALID_ARGUMENT, "%s%.0ld%s", where, 0,
                    "the line is too long");
    } else {
      error = ParseLine(p, line, where, batched);
    }
  }
  fclose(f);
  if (error == NULL && p->op_count == 0) {
    error = Error(ADLIK_ERROR_INVALID_ARGUMENT,
                  "%s: the model declares no output%.0ld%s", path, 0, "");
  }
  return error;
}

/* ---- 2. compute ---------------------------------------------------- */

#define APPLY(T, U)                                                  \
  do {                                                               \
    T x, y, r;                                                       \
    memcpy(&x, a + i * sizeof(T), sizeof(T));                        \
    memcpy(&y, b + i * sizeof(T), sizeof(T));                        \
    r = (T)(op == '+' ? (U)x + (U)y : op == '-' ? (U)x - (U)y        \
                                               : (U)x * (U)y);       \
    memcpy(out + i * sizeof(T), &r, sizeof(T));                      \
  } while (0)

/* out[i] = a[i] op b[i]; integers wrap around (unsigned arithmetic). */
static void Compute(AdlikDataType type, char op, const char* a, const char* b,
                    char* out, int64_t n) {
  int64_t i;
  for (i = 0; i < n; ++i) {
    switch (type) {
      case ADLIK_TYPE_INT32:
        APPLY(int32_t, uint32_t);
        break;
      case ADLIK_TYPE_INT64:
        APPLY(int64_t, uint64_t);
        break;
      case ADLIK_TYPE_FP32:
        APPLY(float, float);
        break;
      default:
        APPLY(double, double);
    }
  }
}

typedef struct Input {
  AdlikDataType type;
  const int64_t* shape;
  uint32_t rank;
  const void* data;
  size_t byte_size;
} Input;

/* ---- entry points ------------------------------------------------- */

ADLIK_EXPORT void AdlikRuntimeApiVersion(uint32_t* major, uint32_t* minor) {
  *major = ADLIK_RUNTIME_API_VERSION_MAJOR;
  *minor = ADLIK_RUNTIME_API_VERSION_MINOR;
}

ADLIK_EXPORT void AdlikRuntimeDescribe(AdlikRuntimeInfo* info) {
  static const char* const platforms[] = {"adlik_example_c", NULL};
  info->name = "example_c";
  info->platforms = platforms;
  info->default_model_filename = "model.txt";
}

ADLIK_EXPORT AdlikError* AdlikRuntimeInit(const AdlikServerApi* server,
                                          AdlikRuntime* runtime,
                                          void** state) {
  api = server;
  *state = NULL; /* no process-wide state */
  return NULL;
}

ADLIK_EXPORT void AdlikRuntimeFini(void* state) {}

ADLIK_EXPORT AdlikError* AdlikModelInit(void* runtime_state, AdlikModel* model,
                                        void** state) {
  int i, k;
  AdlikError* error;
  Program* p = (Program*)calloc(1, sizeof(Program));
  if (p == NULL) {
    return api->error_new(ADLIK_ERROR_RESOURCE_EXHAUSTED, "out of memory");
  }
  error = ParseFile(api->model_file_path(model),
                    api->model_max_batch_size(model) > 0, p);
  /* Tell the server the model's inputs and outputs. */
  for (i = 0; error == NULL && i < p->input_count; ++i) {
    const Spec* s = &p->inputs[i];
    error = api->model_add_tensor(model, 0, s->name, s->type, s->shape,
                                  s->rank);
  }
  for (k = 0; error == NULL && k < p->op_count; ++k) {
    const Spec* s = &p->ops[k].out;
    error = api->model_add_tensor(model, 1, s->name, s->type, s->shape,
                                  s->rank);
  }
  if (error != NULL) {
    free(p);
    return error;
  }
  *state = p;
  return NULL;
}

ADLIK_EXPORT void AdlikModelFini(void* state) { free(state); }

ADLIK_EXPORT AdlikError* AdlikInstanceInit(void* model_state,
                                           AdlikInstance* instance,
                                           void** state) {
  Instance* in;
  int32_t device = 0;
  if (api->instance_device(instance, &device) != ADLIK_DEVICE_CPU) {
    return Error(ADLIK_ERROR_UNIMPLEMENTED,
                 "instance '%s'%.0ld: the example_c runtime runs on the CPU "
                 "only (instance_group kind KIND_CPU)%s",
                 api->instance_name(instance), 0, "");
  }
  in = (Instance*)calloc(1, sizeof(Instance));
  if (in == NULL) {
    return api->error_new(ADLIK_ERROR_RESOURCE_EXHAUSTED, "out of memory");
  }
  in->program = (const Program*)model_state;
  snprintf(in->name, sizeof in->name, "%s", api->instance_name(instance));
  *state = in;
  return NULL;
}

ADLIK_EXPORT void AdlikInstanceFini(void* state) { free(state); }

ADLIK_EXPORT AdlikError* AdlikInstanceExecute(void* state, AdlikBatch* batch) {
  const Program* p = ((const Instance*)state)->program;
  Input inputs[MAX_TENSORS];
  const char* name;
  uint32_t i, r;
  int k;
  memset(inputs, 0, sizeof inputs);
  /* Step 1: each declared input, checked against its declaration. */
  for (i = 0; (name = api->batch_input(batch, i, NULL, NULL, NULL, NULL, NULL,
                                       NULL, NULL)) != NULL;
       ++i) {
    Input* in;
    int64_t count = 1;
    k = FindInput(p, name);
    if (k < 0) continue;
    in = &inputs[k];
    api->batch_input(batch, i, &in->type, &in->shape, &in->rank, &in->data,
                     &in->byte_size, NULL, NULL);
    if (in->type != p->inputs[k].type || in->rank != p->inputs[k].rank) {
      return Error(ADLIK_ERROR_INVALID_ARGUMENT,
                   "input '%s'%.0ld: the type or rank does not match the "
                   "model's%s",
                   name, 0, "");
    }
    for (r = 0; r < in->rank; ++r) {
      if (in->shape[r] < 0 ||
          (p->inputs[k].shape[r] != -1 && in->shape[r] != p->inputs[k].shape[r])) {
        return Error(ADLIK_ERROR_INVALID_ARGUMENT,
                     "input '%s'%.0ld: the shape does not match the model's%s",
                     name, 0, "");
      }
      count *= in->shape[r];
    }
    if (in->byte_size != (size_t)count * TypeSize(in->type)) {
      return Error(ADLIK_ERROR_INVALID_ARGUMENT,
                   "input '%s': %ld bytes do not match its shape%s", name,
                   (long)in->byte_size, "");
    }
  }
  for (k = 0; k < p->input_count; ++k) {
    if (inputs[k].data == NULL && inputs[k].byte_size == 0 &&
        inputs[k].shape == NULL) {
      return Error(ADLIK_ERROR_INVALID_ARGUMENT, "input '%s' is missing%.0ld%s",
                   p->inputs[k].name, 0, "");
    }
  }
  /* Steps 2 and 3: each requested output, computed into a buffer the server
   * allocated where the response goes. */
  for (i = 0; (name = api->batch_requested_output(batch, i)) != NULL; ++i) {
    const Operation* o = NULL;
    const Input *a, *b;
    void* out = NULL;
    int64_t count = 1;
    AdlikError* error;
    for (k = 0; k < p->op_count; ++k)
      if (strcmp(p->ops[k].out.name, name) == 0) o = &p->ops[k];
    if (o == NULL) {
      return Error(ADLIK_ERROR_INVALID_ARGUMENT,
                   "the model has no output '%s'%.0ld%s", name, 0, "");
    }
    a = &inputs[o->lhs];
    b = &inputs[o->rhs];
    if (a->rank > 0 && b->rank > 0 && a->shape[0] != b->shape[0]) {
      return Error(ADLIK_ERROR_INVALID_ARGUMENT,
                   "output '%s'%.0ld: its inputs differ in batch size%s", name,
                   0, "");
    }
    error = api->output_allocate(batch, name, a->type, a->shape, a->rank,
                                 ADLIK_MEMORY_CPU, 0, &out, NULL);
    if (error != NULL) return error;
    for (r = 0; r < a->rank; ++r) count *= a->shape[r];
    Compute(a->type, o->op, (const char*)a->data, (const char*)b->data,
            (char*)out, count);
  }
  return NULL;
}
