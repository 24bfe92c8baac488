"""A job a worker takes is « En cours » and held by it from the moment its record says so: a job page read right
then says « L'opération démarre » or that it continues, never that it « reprend là où elle s'était arrêtée »."""
import time

from directory.model import AccountState


class _Watched:
    """The worker's job store, noting what the job's page would say each time the worker changes the record."""

    def __init__(self, store):
        self.store, self.said = store, []

    def __getattr__(self, name):
        return getattr(self.store, name)

    def update(self, job_id, change):
        from webapp.jobs.waiting import wait_of
        job = self.store.update(job_id, change)
        if job is not None:
            wait = wait_of(job, self.store)
            self.said.append(wait.state if wait else job.status)
        return job


def test_a_job_is_held_by_its_worker_as_soon_as_it_is_running(app, make_account, worker):
    """The suite's worker is alive (as under `make run`), so a job running unheld would read « reprend »."""
    from webapp.jobs import tasks
    from webapp.jobs.kind import kind_of
    from webapp.jobs.store import job_store
    from webapp.jobs.waiting import RESUMING, WORKING

    record, _ = make_account.student(AccountState.NOT_NOTIFIED, given="Prise", surname="Enmaintest")
    with app.app_context():
        from webapp.jobs.waiting import alive_workers
        deadline = time.monotonic() + 30
        while not alive_workers() and time.monotonic() < deadline:
            time.sleep(0.1)
        store = job_store()
        # never put on a queue: this test's runner is the only one to take it
        job, _ = store.create("list", "chef.lp", "0990002P", "students", [record.account_id], {"format": "csv"})
        watched = _Watched(store)
        tasks._run(job.id, kind_of(job), watched)
    assert watched.said[0] == WORKING, watched.said
    assert RESUMING not in watched.said and watched.said[-1] == "finished", watched.said
