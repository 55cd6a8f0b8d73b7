#include "veil/util.h"
#include "vtest.h"

static void test_status_detail(void) {
  veil_status st = veil_fail(VEIL_ERR_MISMATCH, "level mismatch: %d vs %d", 3, 5);
  VT_CHECK(st == VEIL_ERR_MISMATCH);
  VT_CHECK(strcmp(veil_error_detail(), "level mismatch: 3 vs 5") == 0);
  VT_CHECK(strcmp(veil_status_str(VEIL_ERR_MISMATCH), "mismatch") == 0);
  veil_error_clear();
  VT_CHECK(veil_error_detail()[0] == 0);
}

static void test_alloc_alignment(void) {
  for (size_t n = 1; n < 5000; n += 777) {
    void *p = veil_malloc(n);
    VT_REQUIRE(p);
    VT_CHECK(((uintptr_t)p & 63) == 0);
    veil_free(p);
  }
  VT_CHECK(veil_malloc(0) == NULL);
  VT_CHECK(veil_calloc(SIZE_MAX / 2, 4) == NULL);
  veil_free(NULL);
}

static void test_median(void) {
  double a[] = {5, 1, 3};
  VT_CHECK_NEAR(veil_median(a, 3), 3, 0);
  double b[] = {4, 1, 3, 2};
  VT_CHECK_NEAR(veil_median(b, 4), 2.5, 0);
}

static void test_bytes_roundtrip(void) {
  veil_wbuf w;
  veil_wbuf_init(&w);
  veil_wbuf_u8(&w, 0xab);
  veil_wbuf_u32(&w, 0xdeadbeef);
  veil_wbuf_u64(&w, 0x0123456789abcdefull);
  veil_wbuf_f64(&w, -1.25);
  VT_REQUIRE(!w.failed && w.len == 21);
  VT_CHECK(w.data[1] == 0xef); /* little endian */
  veil_rbuf r;
  veil_rbuf_init(&r, w.data, w.len);
  uint8_t a;
  uint32_t b;
  uint64_t c;
  double d;
  VT_CHECK(veil_rbuf_u8(&r, &a) && a == 0xab);
  VT_CHECK(veil_rbuf_u32(&r, &b) && b == 0xdeadbeef);
  VT_CHECK(veil_rbuf_u64(&r, &c) && c == 0x0123456789abcdefull);
  VT_CHECK(veil_rbuf_f64(&r, &d) && d == -1.25);
  VT_CHECK(veil_rbuf_left(&r) == 0);
  VT_CHECK(!veil_rbuf_u8(&r, &a) && r.failed);
  VT_CHECK(!veil_rbuf_u32(&r, &b)); /* stays failed */
  veil_wbuf_free(&w);
}

static void test_rbuf_truncated(void) {
  uint8_t buf[3] = {1, 2, 3};
  veil_rbuf r;
  veil_rbuf_init(&r, buf, 3);
  uint32_t v;
  VT_CHECK(!veil_rbuf_u32(&r, &v));
  VT_CHECK(veil_rbuf_take(&r, 1) == NULL); /* latched */
  veil_rbuf_init(&r, buf, 3);
  VT_CHECK(veil_rbuf_take(&r, SIZE_MAX) == NULL);
}

static void test_file_atomic(void) {
  char path[] = "/tmp/veil_test_atomicXXXXXX";
  int fd = mkstemp(path);
  VT_REQUIRE(fd >= 0);
  const char msg[] = "hello veil";
  VT_OK(veil_file_write_atomic(path, msg, sizeof msg, 0600));
  uint8_t *data;
  size_t len;
  VT_OK(veil_file_read(path, 1 << 20, &data, &len));
  VT_CHECK(len == sizeof msg && memcmp(data, msg, len) == 0);
  veil_free(data);
  VT_CHECK(veil_file_read(path, 3, &data, &len) == VEIL_ERR_LIMIT);
  VT_CHECK(veil_file_read("/nonexistent/veil", 10, &data, &len) == VEIL_ERR_IO);
  remove(path);
}

static void test_random_differs(void) {
  uint8_t a[32], b[32];
  veil_random_bytes(a, sizeof a);
  veil_random_bytes(b, sizeof b);
  VT_CHECK(memcmp(a, b, sizeof a) != 0);
}

static void test_json(void) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  veil_json j;
  veil_json_begin(&j, f);
  veil_json_str(&j, "op", "ntt\"fwd");
  veil_json_int(&j, "logn", 16);
  veil_json_array_begin(&j, "v");
  veil_json_array_num(&j, 1.5);
  veil_json_array_int(&j, 2);
  veil_json_array_end(&j);
  veil_json_end(&j);
  fclose(f);
  VT_CHECK_MSG(strcmp(buf, "{\"op\":\"ntt\\\"fwd\",\"logn\":16,\"v\":[1.5,2]}\n") == 0, "%s", buf);
  free(buf);
}

int main(void) {
  VT_RUN(test_status_detail);
  VT_RUN(test_alloc_alignment);
  VT_RUN(test_median);
  VT_RUN(test_bytes_roundtrip);
  VT_RUN(test_rbuf_truncated);
  VT_RUN(test_file_atomic);
  VT_RUN(test_random_differs);
  VT_RUN(test_json);
  VT_DONE();
}
