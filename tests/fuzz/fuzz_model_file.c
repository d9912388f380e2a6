/* libFuzzer target: the model-file loader (engine/nn_model_file.c), plain and
 * deflated files alike (the seed corpus holds both). Any bytes must be refused
 * with a message or give a network that matches its file: a loaded network is
 * checked for sane sizes and run forward once, so a header that lies about its
 * sizes shows up as a memory error under ASan. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "nn_mem.h"
#include "nn_net.h"

enum { FORWARD_BATCH = 2 };

/* Where the checks' reads go, so that the compiler keeps them. */
static volatile float read_sink;

static void run_forward(nn_net *net)
{
    int in = nn_net_input_size(net), out = nn_net_output_size(net);
    if (in < 1 || out < 1 || nn_net_layer_count(net) < 1)
        abort();
    float *x = nn_alloc_floats((size_t)FORWARD_BATCH * (size_t)in);
    if (!x)
        return; /* a large (valid) network: nothing to learn from running it */
    const float *y;
    if (nn_net_forward(net, x, FORWARD_BATCH, &y) == NN_OK)
        for (int i = 0; i < FORWARD_BATCH * out; i++)
            read_sink += y[i];
    nn_free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nn_net *net = NULL;
    if (nn_net_load(&net, fuzz_input_file(data, size)) != NN_OK) {
        if (net)
            abort(); /* a failed load leaves nothing behind */
        return 0;
    }
    if (!net)
        abort();
    /* a plain file holds 4 bytes per parameter: no more parameters than bytes;
     * a deflated one inflates at most 1032-fold (deflate's limit) */
    bool deflated = size >= 8 && memcmp(data, "NNLABMDZ", 8) == 0;
    if (nn_net_param_count(net) * 4 > (deflated ? 1032 * size : size))
        abort();
    run_forward(net);
    nn_net_free(net);
    return 0;
}
