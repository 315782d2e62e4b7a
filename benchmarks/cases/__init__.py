"""The benchmark's cases, by topic; each ``bench_*`` function runs one
section of the table and returns what ``report.py`` prints.

- ``delete``: delete_cluster_snapshot per call, rows a-e (moto: d);
- ``describe``: describe_cluster_snapshots, a page of 100 (f-i) and a
  paginated listing (j-l);
- ``store``: delete and describe-by-id against the number of stored snapshots;
- ``memory``: bytes per stored snapshot, in fresh processes;
- ``startup``: import and first-call cost, in fresh interpreters;
- ``threads``: 1 and 4 threads through one interceptor.
"""
