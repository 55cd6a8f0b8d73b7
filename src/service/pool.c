/* A fixed pool of worker threads over a bounded FIFO of jobs (HE work off the HTTP I/O threads). */
#include <stdlib.h>

#include "service/service-impl.h"

static void *worker_main(void *arg) {
  veil__pool *p = arg;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->head && !p->stopping)
      pthread_cond_wait(&p->cv, &p->mu);
    veil__job *j = p->head;
    if (!j)
      break; /* stopping and drained */
    p->head = j->next;
    if (!p->head)
      p->tail = NULL;
    p->queued--;
    p->running++;
    pthread_mutex_unlock(&p->mu);
    j->run(j);
    pthread_mutex_lock(&p->mu);
    p->running--;
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

veil_status veil__pool_init(veil__pool *p, int threads, int max_queue) {
  if (threads < 1 || max_queue < 0)
    return veil_fail(VEIL_ERR_INVALID_ARG, "worker pool: %d threads, queue %d", threads, max_queue);
  *p = (veil__pool){.nthreads = 0, .max_queue = max_queue};
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  p->threads = calloc((size_t)threads, sizeof *p->threads);
  if (!p->threads)
    return veil_fail(VEIL_ERR_NOMEM, "worker pool: out of memory");
  for (int i = 0; i < threads; i++) {
    if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0) {
      veil__pool_free(p);
      return veil_fail(VEIL_ERR_NOMEM, "worker pool: cannot start thread %d", i);
    }
    p->nthreads++;
  }
  return VEIL_OK;
}

veil_status veil__pool_submit(veil__pool *p, veil__job *j) {
  pthread_mutex_lock(&p->mu);
  /* Jobs beyond the idle workers wait in the queue, which holds at most max_queue of them. */
  int waiting = p->queued + p->running - p->nthreads; /* jobs that would wait for a worker */
  if (p->stopping || waiting >= p->max_queue) {
    pthread_mutex_unlock(&p->mu);
    return veil_fail(VEIL_ERR_LIMIT, "server busy: %d jobs running, %d queued", p->running, p->queued);
  }
  j->next = NULL;
  j->enqueued_ns = veil_now_ns();
  if (p->tail)
    p->tail->next = j;
  else
    p->head = j;
  p->tail = j;
  p->queued++;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
  return VEIL_OK;
}

void veil__pool_free(veil__pool *p) {
  if (!p || !p->threads)
    return;
  pthread_mutex_lock(&p->mu);
  p->stopping = true;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->nthreads; i++)
    pthread_join(p->threads[i], NULL);
  free(p->threads);
  p->threads = NULL;
  pthread_cond_destroy(&p->cv);
  pthread_mutex_destroy(&p->mu);
}
