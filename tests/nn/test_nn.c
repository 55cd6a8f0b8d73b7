#include "veil/model.h"
#include "vtest.h"
static void t(void) { VT_CHECK(1); }
int main(void) { VT_RUN(t); VT_DONE(); }
