package spec

import "transferhub/cloud/state"

// Agent is the whole configuration of one cloud process (S3 finder or worker, image
// lister or copier): the task's spec, where the task's queue and table are, and how the
// process is tuned. Its THUB_* environment (Env, FromEnv) is the contract between a
// task's stack and the agent; cloud/docs/cloud-run.md lists it.
type Agent struct {
	Task Task

	TaskID   string // the key of the task in the table
	TaskName string // used only when the agent creates the task record
	QueueURL string // the task's SQS job queue (S3)
	DLQURL   string // its dead-letter queue (default: from the queue's redrive policy)
	Table    string // the task's DynamoDB table
	Region   string // region of queue, table and secrets (default: AWS_REGION)
	// SecretRefresh: far-side credentials are read from Secrets Manager again this often.
	SecretRefresh Duration

	Fleet Fleet
	// BatchSize: images per batch of the image listing (one copier each).
	BatchSize int

	LogLevel  string // debug, info, warn, error
	LogFormat string // json (the agent's default) or text
}

// Fleet tunes the S3 processes of a cloud run (zero: the default).
type Fleet struct {
	BatchObjects   int      // objects per job message (finder; 200)
	LeaseTTL       Duration // the finder lease lapses this long after a finder dies (1m)
	GiantThreshold string   // objects at least this big are split into part jobs (1GiB)
	MaxReceives    int      // deliveries before an object is recorded FAILED (0: the queue's)
	Attempts       int      // attempts per object within one delivery (5)
	Visibility     Duration // a received message stays hidden this long (60s)
	RetryDelay     Duration // first wait before a failed message comes back (10s)
	Grace          Duration // on SIGTERM, in-flight messages may finish this long (20s)
	ReceiveWait    Duration // long-poll wait of one receive (20s)
	IdleCheck      Duration // while the queue is empty, how often to check the run's end (30s)

	// A worker on an Auto Scaling instance (all empty elsewhere): the group and its
	// terminate lifecycle hook, whose action the worker completes once it stopped
	// for its instance's termination (cloudrun.Lifecycle).
	LifecycleHook string   // the hook's name ("": no lifecycle watch)
	GroupName     string   // the Auto Scaling group's name
	InstanceID    string   // the instance (default: read from the metadata service)
	IMDSEndpoint  string   // the instance metadata service (default: http://169.254.169.254)
	LifecyclePoll Duration // how often the target lifecycle state is read (5s)
}

// NewAgent returns an empty configuration for a task of type t (its spec part ready to
// be filled).
func NewAgent(t state.TaskType) Agent {
	var a Agent
	if t == state.TaskImage {
		a.Task.Image = &Image{Source: ImageSource{Kind: KindRegistry}, ImageOptions: ImageOptions{Referrers: true}}
	} else {
		a.Task.S3 = &S3{}
	}
	return a
}
