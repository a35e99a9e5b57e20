package app

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/backend/monitor"
	"transferhub/backend/tasks"
	"transferhub/cloud/spec"
	"transferhub/cloud/state"
)

// taskServices builds the tasks and monitor facades over a real manager and monitor
// on a temporary task folder (local-folder tasks need no credentials).
func taskServices(t *testing.T, dir string, pick SaveFilePicker) (*TasksService, *MonitorService) {
	t.Helper()
	events := tasks.NewEvents()
	mgr := newTaskManager(dir, events)
	mon := monitor.New(monitor.Options{Tasks: mgr, Events: events})
	ts := NewTasksService(mgr, func() int { return 7 }, quietLogger())
	ms := NewMonitorService(mon, pick, quietLogger())
	require.NoError(t, ts.start(context.Background()))
	t.Cleanup(func() { ts.stop(context.Background()) })
	return ts, ms
}

// newTaskManager builds the task model over dir with the local runner, as main.go does.
func newTaskManager(dir string, events *tasks.Events) *tasks.Manager {
	local := tasks.NewLocalRunner(tasks.LocalOptions{Observer: events, Logger: quietLogger()})
	return tasks.New(tasks.Options{Folder: tasks.NewFolder(dir, quietLogger()), Runners: []tasks.Runner{local},
		Observer: events, Logger: quietLogger()})
}

func folderTask(src, dst string) tasks.Definition {
	return tasks.Definition{S3: &tasks.S3Spec{Source: tasks.Location{Side: spec.Side{Kind: tasks.LocationLocal, Path: src}},
		Destination: tasks.Location{Side: spec.Side{Kind: tasks.LocationLocal, Path: dst}}}}
}

func waitTask(t *testing.T, ts *TasksService, id string, status state.TaskStatus) tasks.View {
	t.Helper()
	var v tasks.View
	require.Eventually(t, func() bool {
		var err error
		v, err = ts.Get(id)
		require.NoError(t, err)
		return !v.Active && v.Status == status
	}, 60*time.Second, 20*time.Millisecond, "task never reached %s", status)
	return v
}

func TestTasksServiceFormOptions(t *testing.T) {
	dir := t.TempDir()
	ts, _ := taskServices(t, dir, nil)
	o := ts.FormOptions()
	assert.Equal(t, 7, o.DefaultConcurrency, "the user's setting")
	assert.Equal(t, 8, o.DefaultImageConcurrency)
	assert.Contains(t, o.CompareModes, "size+etag")
	assert.Contains(t, o.StorageClasses, "STANDARD_IA")
	assert.Equal(t, 1, o.MinIntervalMinutes)
	assert.Equal(t, dir, o.TaskFolder)
	assert.Empty(t, ts.Problem())
}

func TestTasksServiceCreateValidatesThenRuns(t *testing.T) {
	ts, ms := taskServices(t, t.TempDir(), nil)
	src, dst := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(src, "a.txt"), []byte("hello"), 0o600))

	fe, err := ts.Validate(tasks.CreateRequest{Name: "", Definition: folderTask(src, "relative/dir")})
	require.NoError(t, err)
	fields := map[string]string{}
	for _, f := range fe {
		fields[f.Field] = f.Message
	}
	assert.Equal(t, "enter a name for the task", fields["name"])
	assert.Contains(t, fields["s3.destination.path"], "relative path")

	res, err := ts.Create(tasks.CreateRequest{Name: "", Definition: folderTask(src, dst)})
	require.NoError(t, err, "invalid input is a result, not an error")
	require.Len(t, res.FieldErrors, 1)
	assert.Equal(t, "name", res.FieldErrors[0].Field)

	plan, err := ts.Plan(folderTask(src, dst))
	require.NoError(t, err)
	assert.Empty(t, plan.FieldErrors)
	assert.Equal(t, int64(1), plan.Plan.ToCopy)
	assert.Equal(t, int64(5), plan.Plan.ToCopyBytes)
	plan, err = ts.Plan(folderTask("nope", dst))
	require.NoError(t, err)
	assert.NotEmpty(t, plan.FieldErrors)

	res, err = ts.Create(tasks.CreateRequest{Name: "copy a", Definition: folderTask(src, dst), Start: true})
	require.NoError(t, err)
	require.Empty(t, res.FieldErrors)
	v := waitTask(t, ts, res.Task.ID, state.TaskCompleted)
	assert.Equal(t, int64(1), v.Counters.DoneObjects)

	rows, err := ms.List()
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.Equal(t, "copy a", rows[0].Task.Name)
	assert.Equal(t, -1.0, rows[0].Live.ETASeconds, "no ETA for a task that is not running")

	err = ts.Resume(v.ID)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "could not resume the task: "), err.Error())
	assert.Contains(t, err.Error(), "no unfinished run")

	c, err := ts.Clone(v.ID, "")
	require.NoError(t, err)
	assert.Equal(t, "Copy of copy a", c.Task.Name)
	c, err = ts.Clone(v.ID, "copy a")
	require.NoError(t, err)
	require.Len(t, c.FieldErrors, 1, "a clone needs a free name")

	require.NoError(t, ts.Delete(v.ID))
	_, err = ts.Get(v.ID)
	assert.ErrorIs(t, err, tasks.ErrNotFound)
}

func TestMonitorServiceTableAndExport(t *testing.T) {
	exportTo := filepath.Join(t.TempDir(), "report.csv")
	var asked string
	ts, ms := taskServices(t, t.TempDir(), func(ctx context.Context, title, name string) (string, error) {
		asked = name
		return exportTo, nil
	})
	src, dst := t.TempDir(), t.TempDir()
	for _, n := range []string{"a", "b", "c"} {
		require.NoError(t, os.WriteFile(filepath.Join(src, n), []byte(n), 0o600))
	}
	res, err := ts.Create(tasks.CreateRequest{Name: "three", Definition: folderTask(src, dst), Start: true})
	require.NoError(t, err)
	id := res.Task.ID
	waitTask(t, ts, id, state.TaskCompleted)

	page, err := ms.Items(monitor.ItemsQuery{TaskID: id, Page: 1})
	require.NoError(t, err)
	require.Len(t, page.Items, 3)
	assert.Equal(t, "a", page.Items[0].Key)
	assert.Equal(t, state.ItemDone, page.Items[2].Status)
	assert.False(t, page.OpenEnd)
	assert.Equal(t, 1, page.PagesCount)
	counts, err := ms.Counts(id)
	require.NoError(t, err)
	assert.Equal(t, int64(3), counts.Total)
	d, err := ms.Detail(id)
	require.NoError(t, err)
	assert.Equal(t, "three", d.Task.Name)
	assert.Positive(t, d.LogSeq)
	logs, err := ms.Logs(id, 0, 50)
	require.NoError(t, err)
	assert.NotEmpty(t, logs.Records)

	out, err := ms.Export(id, "CSV", "")
	require.NoError(t, err)
	assert.Equal(t, exportTo, out.Path)
	assert.Equal(t, int64(3), out.Rows)
	assert.True(t, strings.HasPrefix(asked, id+"-report-") && strings.HasSuffix(asked, ".csv"), asked)
	f, err := os.Open(exportTo)
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	assert.Len(t, recs, 4)

	_, err = ms.ExportTo(id, "pdf", "", filepath.Join(t.TempDir(), "r.pdf"))
	assert.ErrorContains(t, err, "the report was not exported")
}

func TestMonitorServiceExportCancelled(t *testing.T) {
	_, ms := taskServices(t, t.TempDir(), func(context.Context, string, string) (string, error) { return "", nil })
	res, err := ms.Export("whatever", "json", "")
	require.NoError(t, err)
	assert.Equal(t, monitor.ExportResult{}, res)
}

func TestTasksServiceReportsAnUnusableFolder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	mgr := newTaskManager(filepath.Join(file, "tasks"), tasks.NewEvents())
	ts := NewTasksService(mgr, func() int { return 4 }, quietLogger())
	require.Error(t, ts.start(context.Background()))
	assert.Contains(t, ts.Problem(), "create the task folder")
	ts.stop(context.Background())
}
