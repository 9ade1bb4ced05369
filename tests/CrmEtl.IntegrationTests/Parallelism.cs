// Most integration tests wait on worker processes, sandboxes, PostgreSQL and Chromium more than they use the CPU: three at
// a time keep the machine's two cores busy (CI's pinned-clock runs set NUnit.NumberOfTestWorkers=1 instead).
[assembly: LevelOfParallelism(3)]
