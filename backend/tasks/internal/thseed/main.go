// Command thseed prepares task state for the desktop app's end-to-end tests, smoke test
// and UI benchmark. It is a development tool, never shipped:
//
//	thseed run-local -dir TASKDIR -src DIR -dst DIR -name NAME
//	    create a local-folder S3 task through backend/tasks and run it to the end (a real
//	    run on the real engine), so the app finds a completed task when it starts
//	thseed records -dir TASKDIR -n 1000000 [-failed 100] -name NAME
//	    create a completed S3 task whose object table holds n records (UI benchmark:
//	    the records are generated, the task never copied anything, and its name says so)
//	thseed cloud-task -dir TASKDIR -id ID -name NAME -profile PROFILEID -region REGION -table TABLE
//	    add a cloud task whose stack's table is TABLE (UI bench of cloud task pages: its
//	    records are in that table, written by cloud/internal/benchtools/thdynamo; no stack
//	    was deployed, and its name says so), as the app keeps a deployed cloud task
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"transferhub/backend/tasks"
	"transferhub/cloud/deploy"
	"transferhub/cloud/spec"
	"transferhub/cloud/stack"
	"transferhub/cloud/state"
	"transferhub/cloud/state/sqlite"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: thseed run-local|records|cloud-task [flags]")
		os.Exit(2)
	}
	ctx := context.Background()
	var err error
	switch os.Args[1] {
	case "run-local":
		err = runLocal(ctx, os.Args[2:])
	case "records":
		err = records(ctx, os.Args[2:])
	case "cloud-task":
		err = cloudTask(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "thseed:", err)
		os.Exit(1)
	}
}

func runLocal(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run-local", flag.ExitOnError)
	dir := fs.String("dir", "", "task folder (<data dir>/tasks)")
	src := fs.String("src", "", "source folder")
	dst := fs.String("dst", "", "destination folder")
	name := fs.String("name", "Local folders", "task name")
	_ = fs.Parse(args)
	if *dir == "" || *src == "" || *dst == "" {
		return errors.New("run-local needs -dir, -src and -dst")
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	local := tasks.NewLocalRunner(tasks.LocalOptions{Logger: logger})
	m := tasks.New(tasks.Options{Folder: tasks.NewFolder(*dir, logger), Runners: []tasks.Runner{local}, Logger: logger})
	if err := m.Open(ctx); err != nil {
		return err
	}
	defer m.Close(ctx)
	d := tasks.Definition{S3: &tasks.S3Spec{
		Source:      tasks.Location{Side: spec.Side{Kind: tasks.LocationLocal, Path: *src}},
		Destination: tasks.Location{Side: spec.Side{Kind: tasks.LocationLocal, Path: *dst}},
	}}
	v, err := m.Create(ctx, tasks.CreateRequest{Name: *name, Definition: d, Start: true})
	if err != nil {
		return err
	}
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if v, err = m.Get(ctx, v.ID); err != nil {
			return err
		}
		if !v.Active && v.Status != state.TaskDraft && v.Status != state.TaskRunning {
			fmt.Printf("%s %s found=%d done=%d failed=%d\n", v.ID, v.Status, v.Counters.FoundObjects, v.Counters.DoneObjects, v.Counters.FailedObjects)
			if v.Status != state.TaskCompleted {
				return fmt.Errorf("the run ended %s: %s", v.Status, v.LastError)
			}
			return nil
		}
	}
	return errors.New("the run did not finish within 5 minutes")
}

func records(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("records", flag.ExitOnError)
	dir := fs.String("dir", "", "task folder (<data dir>/tasks)")
	n := fs.Int("n", 1_000_000, "records")
	failed := fs.Int("failed", 100, "of which FAILED")
	name := fs.String("name", "", "task name (default: Benchmark: N generated records)")
	_ = fs.Parse(args)
	if *dir == "" {
		return errors.New("records needs -dir")
	}
	if *name == "" {
		*name = fmt.Sprintf("Benchmark: %d generated records", *n)
	}
	// The task is a normal local task (its folders exist, so it validates and opens);
	// only its records are generated.
	base := filepath.Dir(filepath.Clean(*dir))
	src, dst := filepath.Join(base, "bench-src"), filepath.Join(base, "bench-dst")
	for _, d := range []string{src, dst} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	m := tasks.New(tasks.Options{Folder: tasks.NewFolder(*dir, nil)}) // creates only: no runner
	if err := m.Open(ctx); err != nil {
		return err
	}
	v, err := m.Create(ctx, tasks.CreateRequest{Name: *name, Definition: tasks.Definition{S3: &tasks.S3Spec{
		Source: tasks.Location{Side: spec.Side{Kind: tasks.LocationLocal, Path: src}}, Destination: tasks.Location{Side: spec.Side{Kind: tasks.LocationLocal, Path: dst}},
	}}})
	m.Close(ctx)
	if err != nil {
		return err
	}
	db, err := sqlite.Open(ctx, v.StateFile)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := db.StartRun(ctx, v.ID)
	if err != nil {
		return err
	}
	start := time.Now()
	const batch = 5000
	var found state.Counters
	for i := 0; i < *n; i += batch {
		objs := make([]state.Object, 0, batch)
		for j := i; j < min(i+batch, *n); j++ {
			o := state.Object{Key: fmt.Sprintf("photos/%04d/%02d/IMG_%07d.jpg", 2000+j%25, j%12+1, j), Size: int64(1024 + j%65536),
				ETag: fmt.Sprintf("%032x", j), Status: state.ItemDone, Attempts: 1, RunID: t.RunID, LastModified: start}
			if j%max(1, *n/max(1, *failed)) == 7 && *failed > 0 {
				o.Status, o.Error = state.ItemFailed, "access denied to the destination: the credentials may not write this key (AccessDenied)"
			} else {
				o.DestETag = o.ETag
			}
			found.FoundObjects++
			found.FoundBytes += o.Size
			objs = append(objs, o)
		}
		if err := db.PutObjects(ctx, v.ID, objs); err != nil {
			return err
		}
	}
	if err := db.AddCounters(ctx, v.ID, t.RunID, found); err != nil {
		return err
	}
	if err := db.FinishFinder(ctx, v.ID, t.RunID); err != nil {
		return err
	}
	t, err = db.GetTask(ctx, v.ID)
	if err != nil {
		return err
	}
	final, msg := state.TaskCompleted, ""
	if t.Counters.FailedObjects > 0 {
		final, msg = state.TaskFailed, fmt.Sprintf("%d objects failed", t.Counters.FailedObjects)
	}
	if err := db.SetTaskStatus(ctx, v.ID, nil, final, msg); err != nil {
		return err
	}
	fmt.Printf("%s %s records=%d failed=%d in %.1fs\n", v.ID, v.StateFile, *n, t.Counters.FailedObjects, time.Since(start).Seconds())
	return nil
}

// cloudTask writes the file of a deployed cloud task, as the app keeps one after
// deploying it: its record (engine cloud, definition with the account's profile and
// Region) and its stack's outputs (the table), so that the app reads its figures and
// objects from the table through the cloud runner.
func cloudTask(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("cloud-task", flag.ExitOnError)
	dir := fs.String("dir", "", "task folder (<data dir>/tasks)")
	id := fs.String("id", "", "task id (its records' task in the table)")
	name := fs.String("name", "", "task name")
	profile := fs.String("profile", "", "id of the AWS credential profile of the account")
	region := fs.String("region", "us-east-1", "Region")
	table := fs.String("table", "", "the task stack's table")
	_ = fs.Parse(args)
	if *dir == "" || *id == "" || *profile == "" || *table == "" {
		return errors.New("cloud-task needs -dir, -id, -profile and -table")
	}
	if *name == "" {
		*name = "Benchmark: cloud task " + *id
	}
	side := func(bucket string) tasks.Location {
		return tasks.Location{Side: spec.Side{Kind: spec.KindS3, Bucket: bucket}, ProfileID: *profile}
	}
	d := tasks.Definition{S3: &tasks.S3Spec{Source: side("bench-source"), Destination: side("bench-destination")},
		Cloud: &tasks.CloudOptions{ProfileID: *profile, Region: *region}}
	enc, err := d.Encode()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	db, err := sqlite.Open(ctx, filepath.Join(*dir, *id+".db"))
	if err != nil {
		return err
	}
	defer db.Close()
	stackName := deploy.TaskStackName(deploy.DefaultControlPlane, *id)
	stackID := fmt.Sprintf("arn:aws:cloudformation:%s:000000000000:stack/%s/bench", *region, stackName)
	now := time.Now().UTC()
	if err := db.PutTask(ctx, state.Task{ID: *id, Type: state.TaskS3, Name: *name, Engine: state.EngineCloud, Definition: enc,
		Status: state.TaskIdle, StackID: stackID, CreatedAt: now, UpdatedAt: now}); err != nil {
		return err
	}
	ts := deploy.TaskStack{ControlPlane: deploy.DefaultControlPlane, Kind: stack.KindS3Task, TaskID: *id, Stack: stackName,
		StackID: stackID, Status: "CREATE_COMPLETE", Outputs: map[string]string{"TableName": *table}}
	raw, err := json.Marshal(ts)
	if err != nil {
		return err
	}
	if err := db.SetMeta(ctx, *id, "cloud-stack", string(raw)); err != nil {
		return err
	}
	fmt.Printf("%s %s table=%s\n", *id, filepath.Join(*dir, *id+".db"), *table)
	return nil
}
