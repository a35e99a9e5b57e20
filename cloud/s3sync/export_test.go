package s3sync

// StartedTask is startedTask for the external tests.
var StartedTask = startedTask
