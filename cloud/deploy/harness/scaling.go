package harness

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// The emulator drops scaling policies and alarms; the harness reads both from the
// deployed template and plays them: every tick is one alarm period (Config.Tick), an
// alarm whose last EvaluationPeriods datapoints breach DatapointsToAlarm times or more
// is in ALARM and runs its step policy, and the group's desired capacity is set in the
// emulator (which adds or removes instances; reconcile starts and stops workers).

// alarm is a CloudWatch alarm on metric math that drives a scaling policy.
type alarm struct {
	name       string
	metrics    []alarmMetric
	ret        string // the id whose value is compared
	comparison string
	threshold  float64
	periods    int
	datapoints int
	policy     *stepPolicy
	seen       []bool // breaching datapoints, newest last
}

type alarmMetric struct {
	id   string
	expr mathExpr
	stat map[string]any // MetricStat
}

type stepPolicy struct {
	name         string
	adjustment   string // ExactCapacity, ChangeInCapacity, PercentChangeInCapacity
	minMagnitude int
	steps        []step
}

type step struct {
	lower, upper float64 // relative to the alarm's threshold; ±Inf when absent
	adjustment   float64
}

// ScalingEvent is one change of the worker group's desired capacity.
type ScalingEvent struct {
	Time     time.Time
	Alarm    string
	Policy   string
	Value    float64 // the alarm's value
	From, To int
}

// scalingAlarms reads the alarms whose actions are the template's step scaling
// policies.
func scalingAlarms(d *deployed) ([]*alarm, error) {
	policies := map[string]*stepPolicy{}
	for _, name := range d.ofType("AWS::AutoScaling::ScalingPolicy") {
		p, err := readPolicy(d, name)
		if err != nil {
			return nil, err
		}
		policies[name] = p
	}
	var out []*alarm
	for _, name := range d.ofType("AWS::CloudWatch::Alarm") {
		r, _ := d.resource(name)
		var pol *stepPolicy
		for _, a := range asList(r.Properties["AlarmActions"]) {
			if ref, ok := asMap(a)["Ref"].(string); ok && policies[ref] != nil {
				pol = policies[ref]
			}
		}
		if pol == nil {
			continue // alarms to the alert topic: not the harness's business
		}
		a := &alarm{name: name, policy: pol}
		var err error
		if a.comparison, err = d.propString(name, "ComparisonOperator"); err != nil {
			return nil, err
		}
		th, err := d.propString(name, "Threshold")
		if err != nil {
			return nil, err
		}
		if a.threshold, err = strconv.ParseFloat(th, 64); err != nil {
			return nil, fmt.Errorf("alarm %s: Threshold %q", name, th)
		}
		if a.periods, err = propInt(d, name, "EvaluationPeriods", 1); err != nil {
			return nil, err
		}
		if a.datapoints, err = propInt(d, name, "DatapointsToAlarm", a.periods); err != nil {
			return nil, err
		}
		ms, err := d.prop(name, "Metrics")
		if err != nil {
			return nil, err
		}
		if len(asList(ms)) == 0 {
			return nil, fmt.Errorf("alarm %s: the harness plays alarms on Metrics (metric math) only", name)
		}
		for _, m := range asList(ms) {
			mm := asMap(m)
			id, _ := mm["Id"].(string)
			am := alarmMetric{id: id}
			if e, ok := mm["Expression"].(string); ok {
				if am.expr, err = parseMath(e); err != nil {
					return nil, fmt.Errorf("alarm %s: %w", name, err)
				}
			} else {
				am.stat = asMap(mm["MetricStat"])
			}
			if rd, ok := mm["ReturnData"].(bool); ok && rd {
				a.ret = id
			}
			a.metrics = append(a.metrics, am)
		}
		if a.ret == "" {
			return nil, fmt.Errorf("alarm %s: no metric has ReturnData true", name)
		}
		out = append(out, a)
	}
	return out, nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func propInt(d *deployed, res, prop string, def int) (int, error) {
	s, err := d.propString(res, prop)
	if err != nil {
		return 0, err
	}
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("resource %s: %s %q is not a whole number", res, prop, s)
	}
	return n, nil
}

func readPolicy(d *deployed, name string) (*stepPolicy, error) {
	p := &stepPolicy{name: name}
	typ, err := d.propString(name, "PolicyType")
	if err != nil {
		return nil, err
	}
	if typ != "StepScaling" {
		return nil, fmt.Errorf("scaling policy %s is %s: the harness plays step scaling", name, typ)
	}
	if p.adjustment, err = d.propString(name, "AdjustmentType"); err != nil {
		return nil, err
	}
	if p.minMagnitude, err = propInt(d, name, "MinAdjustmentMagnitude", 0); err != nil {
		return nil, err
	}
	steps, err := d.prop(name, "StepAdjustments")
	if err != nil {
		return nil, err
	}
	for _, s := range asList(steps) {
		m := asMap(s)
		st := step{lower: math.Inf(-1), upper: math.Inf(1)}
		if v, ok := m["MetricIntervalLowerBound"]; ok {
			st.lower = toFloat(v)
		}
		if v, ok := m["MetricIntervalUpperBound"]; ok {
			st.upper = toFloat(v)
		}
		st.adjustment = toFloat(m["ScalingAdjustment"])
		p.steps = append(p.steps, st)
	}
	if len(p.steps) == 0 {
		return nil, fmt.Errorf("scaling policy %s has no StepAdjustments", name)
	}
	return p, nil
}

func toFloat(v any) float64 {
	switch t := v.(type) {
	case float64:
		return t
	case int:
		return float64(t)
	case string:
		f, _ := strconv.ParseFloat(t, 64)
		return f
	}
	return math.NaN()
}

// scale evaluates every scaling alarm once and applies the policies of those in ALARM:
// of several, the largest capacity wins (as Auto Scaling does).
func (t *s3Task) scale(ctx context.Context, g *astypes.AutoScalingGroup) error {
	t.mu.Lock()
	alarms := t.alarms
	t.mu.Unlock()
	vals, err := t.metricValues(ctx, g, alarms)
	if err != nil {
		return err
	}
	cur := int(aws.ToInt32(g.DesiredCapacity))
	minSize, maxSize := int(aws.ToInt32(g.MinSize)), int(aws.ToInt32(g.MaxSize))
	want, by := -1, (*alarm)(nil)
	var byValue float64
	for _, a := range alarms {
		v, err := a.evaluate(vals)
		if err != nil {
			return err
		}
		breach := compareAlarm(a.comparison, v, a.threshold)
		a.seen = append(a.seen, breach)
		if len(a.seen) > a.periods {
			a.seen = a.seen[len(a.seen)-a.periods:]
		}
		n := 0
		for _, b := range a.seen {
			if b {
				n++
			}
		}
		if len(a.seen) < a.periods || n < a.datapoints {
			continue
		}
		below := a.comparison == "LessThanThreshold" || a.comparison == "LessThanOrEqualToThreshold"
		next, err := a.policy.apply(cur, v-a.threshold, below)
		if err != nil {
			return fmt.Errorf("alarm %s: %w", a.name, err)
		}
		if want < 0 || next > want {
			want, by, byValue = next, a, v
		}
	}
	if want < 0 {
		return nil
	}
	want = max(minSize, min(want, maxSize))
	if want == cur {
		return nil
	}
	if _, err := t.h.asg.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: g.AutoScalingGroupName,
		DesiredCapacity: aws.Int32(int32(want)), HonorCooldown: aws.Bool(false)}); err != nil {
		return fmt.Errorf("scale worker group %s to %d: %w", aws.ToString(g.AutoScalingGroupName), want, err)
	}
	ev := ScalingEvent{Time: time.Now(), Alarm: by.name, Policy: by.policy.name, Value: byValue, From: cur, To: want}
	t.h.log.Info("scaling", "stack", t.d.name, "alarm", ev.Alarm, "policy", ev.Policy, "value", ev.Value, "from", cur, "to", want)
	t.mu.Lock()
	t.history = append(t.history, ev)
	t.mu.Unlock()
	return nil
}

func compareAlarm(op string, v, th float64) bool {
	if math.IsNaN(v) {
		return false
	}
	switch op {
	case "GreaterThanThreshold":
		return v > th
	case "GreaterThanOrEqualToThreshold":
		return v >= th
	case "LessThanThreshold":
		return v < th
	case "LessThanOrEqualToThreshold":
		return v <= th
	}
	return false
}

// evaluate computes the alarm's returned value from the metrics' values.
func (a *alarm) evaluate(vals map[string]float64) (float64, error) {
	vars := map[string]float64{}
	for _, m := range a.metrics {
		if m.stat != nil {
			vars[m.id] = vals[statKey(m.stat)]
		}
	}
	// Expressions may use one another: evaluate until all are known.
	for range a.metrics {
		for _, m := range a.metrics {
			if m.expr == nil {
				continue
			}
			if v, err := m.expr.eval(vars); err == nil {
				vars[m.id] = v
			}
		}
	}
	v, ok := vars[a.ret]
	if !ok {
		for _, m := range a.metrics {
			if m.id == a.ret && m.expr != nil {
				_, err := m.expr.eval(vars)
				return 0, fmt.Errorf("alarm %s: %w", a.name, err)
			}
		}
		return 0, fmt.Errorf("alarm %s: metric %s has no value", a.name, a.ret)
	}
	return v, nil
}

// apply runs the step whose interval holds the breach (value − threshold). Above the
// threshold a step's lower bound is inclusive and its upper bound exclusive; below it
// the other way round (as Auto Scaling documents).
func (p *stepPolicy) apply(cur int, breach float64, below bool) (int, error) {
	for _, s := range p.steps {
		in := breach >= s.lower && breach < s.upper
		if below {
			in = breach > s.lower && breach <= s.upper
		}
		if in {
			return p.adjust(cur, s.adjustment), nil
		}
	}
	return cur, fmt.Errorf("policy %s has no step for a breach of %v", p.name, breach)
}

func (p *stepPolicy) adjust(cur int, adj float64) int {
	switch p.adjustment {
	case "ExactCapacity":
		return int(adj)
	case "ChangeInCapacity":
		return cur + int(adj)
	}
	// PercentChangeInCapacity: between 0 and 1 rounds to 1, above 1 rounds down;
	// between 0 and −1 rounds to −1, below −1 rounds up (towards zero); then at least
	// MinAdjustmentMagnitude.
	d := float64(cur) * adj / 100
	var n int
	switch {
	case d > 0 && d < 1:
		n = 1
	case d >= 1:
		n = int(math.Floor(d))
	case d < 0 && d > -1:
		n = -1
	case d <= -1:
		n = int(math.Ceil(d))
	}
	if p.minMagnitude > 0 && n != 0 && abs(n) < p.minMagnitude {
		n = p.minMagnitude * sign(n)
	}
	if adj > 0 && n == 0 && p.minMagnitude > 0 {
		n = p.minMagnitude // from zero instances: +X% is nothing, the magnitude adds
	}
	return cur + n
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func sign(n int) int {
	if n < 0 {
		return -1
	}
	return 1
}

func statKey(stat map[string]any) string {
	m := asMap(stat["Metric"])
	return fmt.Sprintf("%v/%v/%v", m["Namespace"], m["MetricName"], jsonString(m["Dimensions"]))
}

// metricValues reads the metrics the alarms use, once: SQS queue depths from the
// queue's attributes, the group's instances from the emulator. A metric the harness
// cannot read is missing (NaN), as CloudWatch reports missing data.
func (t *s3Task) metricValues(ctx context.Context, g *astypes.AutoScalingGroup, alarms []*alarm) (map[string]float64, error) {
	vals := map[string]float64{}
	queues := map[string]map[string]string{}
	for _, a := range alarms {
		for _, m := range a.metrics {
			if m.stat == nil {
				continue
			}
			key := statKey(m.stat)
			if _, ok := vals[key]; ok {
				continue
			}
			metric := asMap(m.stat["Metric"])
			dims := map[string]string{}
			for _, d := range asList(metric["Dimensions"]) {
				dm := asMap(d)
				dims[fmt.Sprint(dm["Name"])] = fmt.Sprint(dm["Value"])
			}
			vals[key] = math.NaN()
			switch fmt.Sprint(metric["Namespace"]) + "/" + fmt.Sprint(metric["MetricName"]) {
			case "AWS/SQS/ApproximateNumberOfMessagesVisible", "AWS/SQS/ApproximateNumberOfMessagesNotVisible":
				name := dims["QueueName"]
				attrs, ok := queues[name]
				if !ok {
					var err error
					if attrs, err = t.queueAttributes(ctx, name); err != nil {
						return nil, err
					}
					queues[name] = attrs
				}
				attr := "ApproximateNumberOfMessages"
				if metric["MetricName"] == "ApproximateNumberOfMessagesNotVisible" {
					attr = "ApproximateNumberOfMessagesNotVisible"
				}
				if v, err := strconv.ParseFloat(attrs[attr], 64); err == nil {
					vals[key] = v
				}
			case "AWS/AutoScaling/GroupInServiceInstances", "AWS/AutoScaling/GroupDesiredCapacity":
				if dims["AutoScalingGroupName"] != aws.ToString(g.AutoScalingGroupName) {
					continue
				}
				if metric["MetricName"] == "GroupDesiredCapacity" {
					vals[key] = float64(aws.ToInt32(g.DesiredCapacity))
					continue
				}
				n := 0
				for _, in := range g.Instances {
					if in.LifecycleState == astypes.LifecycleStateInService {
						n++
					}
				}
				vals[key] = float64(n)
			}
		}
	}
	return vals, nil
}

func (t *s3Task) queueAttributes(ctx context.Context, name string) (map[string]string, error) {
	t.mu.Lock()
	d := t.d
	t.mu.Unlock()
	for _, q := range d.ofType("AWS::SQS::Queue") {
		url := d.physical[q]
		if url == "" || url[len(url)-len(name):] != name {
			continue
		}
		out, err := t.h.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
		if err != nil {
			return nil, fmt.Errorf("read queue %s: %w", name, err)
		}
		return out.Attributes, nil
	}
	return nil, fmt.Errorf("the alarms watch queue %s, which is not the stack's", name)
}
