export namespace app {
	
	export class AppInfo {
	    name: string;
	    version: string;
	    os: string;
	    arch: string;
	    platform: string;
	    goVersion: string;
	    wailsVersion: string;
	
	    static createFrom(source: any = {}) {
	        return new AppInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.version = source["version"];
	        this.os = source["os"];
	        this.arch = source["arch"];
	        this.platform = source["platform"];
	        this.goVersion = source["goVersion"];
	        this.wailsVersion = source["wailsVersion"];
	    }
	}
	export class CloudFormOptions {
	    instanceTypes: string[];
	    defaultInstanceTypes: string[];
	    defaultMaxWorkers: number;
	    maxWorkers: number;
	    defaultMaxCopiers: number;
	    maxCopiers: number;
	    regions: {[key: string]: string[]};
	    scheduleKinds: string[];
	    eventModes: string[];
	    defaultControlPlane: string;
	
	    static createFrom(source: any = {}) {
	        return new CloudFormOptions(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.instanceTypes = source["instanceTypes"];
	        this.defaultInstanceTypes = source["defaultInstanceTypes"];
	        this.defaultMaxWorkers = source["defaultMaxWorkers"];
	        this.maxWorkers = source["maxWorkers"];
	        this.defaultMaxCopiers = source["defaultMaxCopiers"];
	        this.maxCopiers = source["maxCopiers"];
	        this.regions = source["regions"];
	        this.scheduleKinds = source["scheduleKinds"];
	        this.eventModes = source["eventModes"];
	        this.defaultControlPlane = source["defaultControlPlane"];
	    }
	}
	export class CloudPreviewResult {
	    preview: tasks.PreviewCreate;
	    fieldErrors: invalid.FieldError[];
	
	    static createFrom(source: any = {}) {
	        return new CloudPreviewResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.preview = this.convertValues(source["preview"], tasks.PreviewCreate);
	        this.fieldErrors = this.convertValues(source["fieldErrors"], invalid.FieldError);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ProviderOption {
	    name: string;
	    label: string;
	    needsEndpoint: boolean;
	    defaultRegion: string;
	    endpointExample: string;
	    pathStyle: boolean;
	
	    static createFrom(source: any = {}) {
	        return new ProviderOption(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.label = source["label"];
	        this.needsEndpoint = source["needsEndpoint"];
	        this.defaultRegion = source["defaultRegion"];
	        this.endpointExample = source["endpointExample"];
	        this.pathStyle = source["pathStyle"];
	    }
	}
	export class CredentialsFormOptions {
	    partitions: string[];
	    regions: {[key: string]: string[]};
	    providers: ProviderOption[];
	    sharedProfiles: string[];
	
	    static createFrom(source: any = {}) {
	        return new CredentialsFormOptions(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.partitions = source["partitions"];
	        this.regions = source["regions"];
	        this.providers = this.convertValues(source["providers"], ProviderOption);
	        this.sharedProfiles = source["sharedProfiles"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class CredentialsInput {
	    profile: credentials.Profile;
	    secret: credentials.Secret;
	    replaceSecret: boolean;
	
	    static createFrom(source: any = {}) {
	        return new CredentialsInput(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.profile = this.convertValues(source["profile"], credentials.Profile);
	        this.secret = this.convertValues(source["secret"], credentials.Secret);
	        this.replaceSecret = source["replaceSecret"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class CredentialsSaveResult {
	    profile: credentials.Profile;
	    fieldErrors: invalid.FieldError[];
	
	    static createFrom(source: any = {}) {
	        return new CredentialsSaveResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.profile = this.convertValues(source["profile"], credentials.Profile);
	        this.fieldErrors = this.convertValues(source["fieldErrors"], invalid.FieldError);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class CredentialsView {
	    profiles: credentials.Profile[];
	    file: string;
	    problem: string;
	
	    static createFrom(source: any = {}) {
	        return new CredentialsView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.profiles = this.convertValues(source["profiles"], credentials.Profile);
	        this.file = source["file"];
	        this.problem = source["problem"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class EditResult {
	    plan?: tasks.EditPlan;
	    fieldErrors: invalid.FieldError[];
	
	    static createFrom(source: any = {}) {
	        return new EditResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.plan = this.convertValues(source["plan"], tasks.EditPlan);
	        this.fieldErrors = this.convertValues(source["fieldErrors"], invalid.FieldError);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class PlanResult {
	    plan: tasks.Plan;
	    fieldErrors: invalid.FieldError[];
	
	    static createFrom(source: any = {}) {
	        return new PlanResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.plan = this.convertValues(source["plan"], tasks.Plan);
	        this.fieldErrors = this.convertValues(source["fieldErrors"], invalid.FieldError);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class SaveResult {
	    settings: settings.Settings;
	    fieldErrors: invalid.FieldError[];
	
	    static createFrom(source: any = {}) {
	        return new SaveResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.settings = this.convertValues(source["settings"], settings.Settings);
	        this.fieldErrors = this.convertValues(source["fieldErrors"], invalid.FieldError);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class SettingsView {
	    settings: settings.Settings;
	    defaults: settings.Settings;
	    file: string;
	    minConcurrency: number;
	    maxConcurrency: number;
	    problem: string;
	
	    static createFrom(source: any = {}) {
	        return new SettingsView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.settings = this.convertValues(source["settings"], settings.Settings);
	        this.defaults = this.convertValues(source["defaults"], settings.Settings);
	        this.file = source["file"];
	        this.minConcurrency = source["minConcurrency"];
	        this.maxConcurrency = source["maxConcurrency"];
	        this.problem = source["problem"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class TaskFormOptions {
	    compareModes: string[];
	    serverSides: string[];
	    storageClasses: string[];
	    cannedAcls: string[];
	    sseModes: string[];
	    minConcurrency: number;
	    maxConcurrency: number;
	    defaultConcurrency: number;
	    defaultImageConcurrency: number;
	    minIntervalMinutes: number;
	    maxNameLength: number;
	    taskFolder: string;
	
	    static createFrom(source: any = {}) {
	        return new TaskFormOptions(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.compareModes = source["compareModes"];
	        this.serverSides = source["serverSides"];
	        this.storageClasses = source["storageClasses"];
	        this.cannedAcls = source["cannedAcls"];
	        this.sseModes = source["sseModes"];
	        this.minConcurrency = source["minConcurrency"];
	        this.maxConcurrency = source["maxConcurrency"];
	        this.defaultConcurrency = source["defaultConcurrency"];
	        this.defaultImageConcurrency = source["defaultImageConcurrency"];
	        this.minIntervalMinutes = source["minIntervalMinutes"];
	        this.maxNameLength = source["maxNameLength"];
	        this.taskFolder = source["taskFolder"];
	    }
	}
	export class TaskResult {
	    task: tasks.View;
	    fieldErrors: invalid.FieldError[];
	
	    static createFrom(source: any = {}) {
	        return new TaskResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.task = this.convertValues(source["task"], tasks.View);
	        this.fieldErrors = this.convertValues(source["fieldErrors"], invalid.FieldError);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace cost {
	
	export class Source {
	    what: string;
	    url: string;
	    checked: string;
	    found?: string;
	
	    static createFrom(source: any = {}) {
	        return new Source(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.what = source["what"];
	        this.url = source["url"];
	        this.checked = source["checked"];
	        this.found = source["found"];
	    }
	}
	export class PriceInfo {
	    partition: string;
	    currency: string;
	    date: string;
	    region: string;
	    unverified?: string;
	    sources: Source[];
	
	    static createFrom(source: any = {}) {
	        return new PriceInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.partition = source["partition"];
	        this.currency = source["currency"];
	        this.date = source["date"];
	        this.region = source["region"];
	        this.unverified = source["unverified"];
	        this.sources = this.convertValues(source["sources"], Source);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Line {
	    service: string;
	    item: string;
	    quantity: number;
	    unit: string;
	    unitPrice: number;
	    cost: number;
	    currency: string;
	    partition: string;
	
	    static createFrom(source: any = {}) {
	        return new Line(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.service = source["service"];
	        this.item = source["item"];
	        this.quantity = source["quantity"];
	        this.unit = source["unit"];
	        this.unitPrice = source["unitPrice"];
	        this.cost = source["cost"];
	        this.currency = source["currency"];
	        this.partition = source["partition"];
	    }
	}
	export class Estimate {
	    lines: Line[];
	    totals: {[key: string]: number};
	    assumptions: string[];
	    notIncluded: string[];
	    prices: PriceInfo[];
	
	    static createFrom(source: any = {}) {
	        return new Estimate(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.lines = this.convertValues(source["lines"], Line);
	        this.totals = source["totals"];
	        this.assumptions = source["assumptions"];
	        this.notIncluded = source["notIncluded"];
	        this.prices = this.convertValues(source["prices"], PriceInfo);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	

}

export namespace credentials {
	
	export class TestResult {
	    ok: boolean;
	    code: string;
	    message: string;
	    detail?: string;
	    account?: string;
	    arn?: string;
	    buckets: number;
	    // Go type: time
	    at: any;
	    durationMs: number;
	
	    static createFrom(source: any = {}) {
	        return new TestResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.ok = source["ok"];
	        this.code = source["code"];
	        this.message = source["message"];
	        this.detail = source["detail"];
	        this.account = source["account"];
	        this.arn = source["arn"];
	        this.buckets = source["buckets"];
	        this.at = this.convertValues(source["at"], null);
	        this.durationMs = source["durationMs"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Profile {
	    id: string;
	    name: string;
	    kind: string;
	    sharedProfile?: string;
	    partition?: string;
	    roleArn?: string;
	    externalId?: string;
	    region?: string;
	    accessKeyId?: string;
	    provider?: string;
	    endpoint?: string;
	    pathStyle?: boolean;
	    testBucket?: string;
	    host?: string;
	    username?: string;
	    insecureHttp?: boolean;
	    caFile?: string;
	    secretSet: boolean;
	    lastTest?: TestResult;
	    // Go type: time
	    createdAt: any;
	    // Go type: time
	    updatedAt: any;
	
	    static createFrom(source: any = {}) {
	        return new Profile(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.kind = source["kind"];
	        this.sharedProfile = source["sharedProfile"];
	        this.partition = source["partition"];
	        this.roleArn = source["roleArn"];
	        this.externalId = source["externalId"];
	        this.region = source["region"];
	        this.accessKeyId = source["accessKeyId"];
	        this.provider = source["provider"];
	        this.endpoint = source["endpoint"];
	        this.pathStyle = source["pathStyle"];
	        this.testBucket = source["testBucket"];
	        this.host = source["host"];
	        this.username = source["username"];
	        this.insecureHttp = source["insecureHttp"];
	        this.caFile = source["caFile"];
	        this.secretSet = source["secretSet"];
	        this.lastTest = this.convertValues(source["lastTest"], TestResult);
	        this.createdAt = this.convertValues(source["createdAt"], null);
	        this.updatedAt = this.convertValues(source["updatedAt"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Secret {
	    secretAccessKey?: string;
	    sessionToken?: string;
	    password?: string;
	
	    static createFrom(source: any = {}) {
	        return new Secret(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.secretAccessKey = source["secretAccessKey"];
	        this.sessionToken = source["sessionToken"];
	        this.password = source["password"];
	    }
	}

}

export namespace deploy {
	
	export class ChangeDetail {
	    attribute: string;
	    name?: string;
	    requiresRecreation?: string;
	    changeSource?: string;
	    causingEntity?: string;
	
	    static createFrom(source: any = {}) {
	        return new ChangeDetail(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.attribute = source["attribute"];
	        this.name = source["name"];
	        this.requiresRecreation = source["requiresRecreation"];
	        this.changeSource = source["changeSource"];
	        this.causingEntity = source["causingEntity"];
	    }
	}
	export class Check {
	    name: string;
	    status: string;
	    summary: string;
	    details?: string[];
	
	    static createFrom(source: any = {}) {
	        return new Check(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.status = source["status"];
	        this.summary = source["summary"];
	        this.details = source["details"];
	    }
	}
	export class ResourceEvent {
	    logicalId: string;
	    physicalId?: string;
	    type: string;
	    status: string;
	    reason?: string;
	    // Go type: time
	    time: any;
	    elapsed: number;
	
	    static createFrom(source: any = {}) {
	        return new ResourceEvent(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.logicalId = source["logicalId"];
	        this.physicalId = source["physicalId"];
	        this.type = source["type"];
	        this.status = source["status"];
	        this.reason = source["reason"];
	        this.time = this.convertValues(source["time"], null);
	        this.elapsed = source["elapsed"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Failure {
	    logicalId: string;
	    type: string;
	    status: string;
	    reason: string;
	    // Go type: time
	    time: any;
	
	    static createFrom(source: any = {}) {
	        return new Failure(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.logicalId = source["logicalId"];
	        this.type = source["type"];
	        this.status = source["status"];
	        this.reason = source["reason"];
	        this.time = this.convertValues(source["time"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Outcome {
	    stack: string;
	    stackId?: string;
	    operation: string;
	    status?: string;
	    succeeded: boolean;
	    noChanges?: boolean;
	    firstFailure?: Failure;
	    elapsed: number;
	    resources?: ResourceEvent[];
	    deleteAndRetry?: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Outcome(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.stack = source["stack"];
	        this.stackId = source["stackId"];
	        this.operation = source["operation"];
	        this.status = source["status"];
	        this.succeeded = source["succeeded"];
	        this.noChanges = source["noChanges"];
	        this.firstFailure = this.convertValues(source["firstFailure"], Failure);
	        this.elapsed = source["elapsed"];
	        this.resources = this.convertValues(source["resources"], ResourceEvent);
	        this.deleteAndRetry = source["deleteAndRetry"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Item {
	    what: string;
	    name: string;
	    why?: string;
	
	    static createFrom(source: any = {}) {
	        return new Item(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.what = source["what"];
	        this.name = source["name"];
	        this.why = source["why"];
	    }
	}
	export class DeleteResult {
	    stack: string;
	    dryRun?: boolean;
	    removes: Item[];
	    survives: Item[];
	    outcome: Outcome;
	
	    static createFrom(source: any = {}) {
	        return new DeleteResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.stack = source["stack"];
	        this.dryRun = source["dryRun"];
	        this.removes = this.convertValues(source["removes"], Item);
	        this.survives = this.convertValues(source["survives"], Item);
	        this.outcome = this.convertValues(source["outcome"], Outcome);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Deployment {
	    kind: string;
	    controlPlane: string;
	    taskId?: string;
	    taskName?: string;
	    region: string;
	    stack?: string;
	    stackId?: string;
	    status: string;
	    statusReason?: string;
	    version?: string;
	    templateSha?: string;
	    // Go type: time
	    created: any;
	    // Go type: time
	    updated?: any;
	    upgradeAvailable?: boolean;
	    deleteAndRetry?: boolean;
	    keptTable?: string;
	
	    static createFrom(source: any = {}) {
	        return new Deployment(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.kind = source["kind"];
	        this.controlPlane = source["controlPlane"];
	        this.taskId = source["taskId"];
	        this.taskName = source["taskName"];
	        this.region = source["region"];
	        this.stack = source["stack"];
	        this.stackId = source["stackId"];
	        this.status = source["status"];
	        this.statusReason = source["statusReason"];
	        this.version = source["version"];
	        this.templateSha = source["templateSha"];
	        this.created = this.convertValues(source["created"], null);
	        this.updated = this.convertValues(source["updated"], null);
	        this.upgradeAvailable = source["upgradeAvailable"];
	        this.deleteAndRetry = source["deleteAndRetry"];
	        this.keptTable = source["keptTable"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Execution {
	    name: string;
	    arn: string;
	    status: string;
	    // Go type: time
	    start: any;
	    // Go type: time
	    stop: any;
	    error?: string;
	    cause?: string;
	
	    static createFrom(source: any = {}) {
	        return new Execution(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.arn = source["arn"];
	        this.status = source["status"];
	        this.start = this.convertValues(source["start"], null);
	        this.stop = this.convertValues(source["stop"], null);
	        this.error = source["error"];
	        this.cause = source["cause"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class FleetSize {
	    desired: number;
	    running: number;
	    starting: number;
	    stopping: number;
	    max: number;
	
	    static createFrom(source: any = {}) {
	        return new FleetSize(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.desired = source["desired"];
	        this.running = source["running"];
	        this.starting = source["starting"];
	        this.stopping = source["stopping"];
	        this.max = source["max"];
	    }
	}
	export class Identity {
	    account: string;
	    partition: string;
	    arn: string;
	    userId: string;
	
	    static createFrom(source: any = {}) {
	        return new Identity(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.account = source["account"];
	        this.partition = source["partition"];
	        this.arn = source["arn"];
	        this.userId = source["userId"];
	    }
	}
	
	export class LogLine {
	    // Go type: time
	    time: any;
	    stream: string;
	    message: string;
	
	    static createFrom(source: any = {}) {
	        return new LogLine(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.time = this.convertValues(source["time"], null);
	        this.stream = source["stream"];
	        this.message = source["message"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class PreflightReport {
	    identity: Identity;
	    region: string;
	    checks: Check[];
	    missing?: string[];
	    policy: string;
	
	    static createFrom(source: any = {}) {
	        return new PreflightReport(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.identity = this.convertValues(source["identity"], Identity);
	        this.region = source["region"];
	        this.checks = this.convertValues(source["checks"], Check);
	        this.missing = source["missing"];
	        this.policy = source["policy"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ValueChange {
	    name: string;
	    old: string;
	    new: string;
	    pending?: string;
	
	    static createFrom(source: any = {}) {
	        return new ValueChange(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.old = source["old"];
	        this.new = source["new"];
	        this.pending = source["pending"];
	    }
	}
	export class ResourceChange {
	    action: string;
	    logicalId: string;
	    physicalId?: string;
	    type: string;
	    replacement?: string;
	    scope?: string[];
	    details?: ChangeDetail[];
	    iam?: boolean;
	    policyAction?: string;
	
	    static createFrom(source: any = {}) {
	        return new ResourceChange(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.action = source["action"];
	        this.logicalId = source["logicalId"];
	        this.physicalId = source["physicalId"];
	        this.type = source["type"];
	        this.replacement = source["replacement"];
	        this.scope = source["scope"];
	        this.details = this.convertValues(source["details"], ChangeDetail);
	        this.iam = source["iam"];
	        this.policyAction = source["policyAction"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Preview {
	    stack: string;
	    operation: string;
	    changes: ResourceChange[];
	    parameters?: ValueChange[];
	    tags?: ValueChange[];
	    templateChanged?: boolean;
	    versionChange?: ValueChange;
	
	    static createFrom(source: any = {}) {
	        return new Preview(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.stack = source["stack"];
	        this.operation = source["operation"];
	        this.changes = this.convertValues(source["changes"], ResourceChange);
	        this.parameters = this.convertValues(source["parameters"], ValueChange);
	        this.tags = this.convertValues(source["tags"], ValueChange);
	        this.templateChanged = source["templateChanged"];
	        this.versionChange = this.convertValues(source["versionChange"], ValueChange);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Progress {
	    stack: string;
	    operation: string;
	    // Go type: time
	    started: any;
	    elapsed: number;
	    done: number;
	    total: number;
	    stackStatus: string;
	    stackReason?: string;
	    resource?: ResourceEvent;
	    inProgress?: string[];
	    firstFailure?: Failure;
	    rollingBack?: boolean;
	    final?: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Progress(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.stack = source["stack"];
	        this.operation = source["operation"];
	        this.started = this.convertValues(source["started"], null);
	        this.elapsed = source["elapsed"];
	        this.done = source["done"];
	        this.total = source["total"];
	        this.stackStatus = source["stackStatus"];
	        this.stackReason = source["stackReason"];
	        this.resource = this.convertValues(source["resource"], ResourceEvent);
	        this.inProgress = source["inProgress"];
	        this.firstFailure = this.convertValues(source["firstFailure"], Failure);
	        this.rollingBack = source["rollingBack"];
	        this.final = source["final"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class QueueDepth {
	    visible: number;
	    inFlight: number;
	    delayed: number;
	    deadLetters: number;
	
	    static createFrom(source: any = {}) {
	        return new QueueDepth(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.visible = source["visible"];
	        this.inFlight = source["inFlight"];
	        this.delayed = source["delayed"];
	        this.deadLetters = source["deadLetters"];
	    }
	}
	
	

}

export namespace deployments {
	
	export class Account {
	    profileId: string;
	    name: string;
	    partition: string;
	    region: string;
	    regions: string[];
	
	    static createFrom(source: any = {}) {
	        return new Account(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.profileId = source["profileId"];
	        this.name = source["name"];
	        this.partition = source["partition"];
	        this.region = source["region"];
	        this.regions = source["regions"];
	    }
	}
	export class ControlPlaneRequest {
	    profileId: string;
	    region: string;
	    name: string;
	    network?: stack.Network;
	    logRetentionDays?: number;
	
	    static createFrom(source: any = {}) {
	        return new ControlPlaneRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.profileId = source["profileId"];
	        this.region = source["region"];
	        this.name = source["name"];
	        this.network = this.convertValues(source["network"], stack.Network);
	        this.logRetentionDays = source["logRetentionDays"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Info {
	    version: string;
	    hasAgents: boolean;
	    problem?: string;
	
	    static createFrom(source: any = {}) {
	        return new Info(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.version = source["version"];
	        this.hasAgents = source["hasAgents"];
	        this.problem = source["problem"];
	    }
	}
	export class Listing {
	    profileId: string;
	    region: string;
	    account: string;
	    deployments: deploy.Deployment[];
	    operations: stackop.Operation[];
	    problem?: string;
	    // Go type: time
	    readAt: any;
	
	    static createFrom(source: any = {}) {
	        return new Listing(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.profileId = source["profileId"];
	        this.region = source["region"];
	        this.account = source["account"];
	        this.deployments = this.convertValues(source["deployments"], deploy.Deployment);
	        this.operations = this.convertValues(source["operations"], stackop.Operation);
	        this.problem = source["problem"];
	        this.readAt = this.convertValues(source["readAt"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Subnet {
	    subnetId: string;
	    name?: string;
	    zone: string;
	    cidr: string;
	    default: boolean;
	    public: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Subnet(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.subnetId = source["subnetId"];
	        this.name = source["name"];
	        this.zone = source["zone"];
	        this.cidr = source["cidr"];
	        this.default = source["default"];
	        this.public = source["public"];
	    }
	}
	export class Network {
	    vpcId: string;
	    name?: string;
	    cidr: string;
	    default: boolean;
	    subnets: Subnet[];
	
	    static createFrom(source: any = {}) {
	        return new Network(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.vpcId = source["vpcId"];
	        this.name = source["name"];
	        this.cidr = source["cidr"];
	        this.default = source["default"];
	        this.subnets = this.convertValues(source["subnets"], Subnet);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Plan {
	    planId: string;
	    profileId: string;
	    region: string;
	    stack: string;
	    kind: string;
	    preview: deploy.Preview;
	    noChanges: boolean;
	    notes?: string[];
	    deleteAndRetry?: boolean;
	    firstFailure?: deploy.Failure;
	
	    static createFrom(source: any = {}) {
	        return new Plan(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.planId = source["planId"];
	        this.profileId = source["profileId"];
	        this.region = source["region"];
	        this.stack = source["stack"];
	        this.kind = source["kind"];
	        this.preview = this.convertValues(source["preview"], deploy.Preview);
	        this.noChanges = source["noChanges"];
	        this.notes = source["notes"];
	        this.deleteAndRetry = source["deleteAndRetry"];
	        this.firstFailure = this.convertValues(source["firstFailure"], deploy.Failure);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class PreflightRequest {
	    profileId: string;
	    region: string;
	    controlPlane: string;
	    network?: stack.Network;
	    s3Tasks: number;
	    imageTasks: number;
	
	    static createFrom(source: any = {}) {
	        return new PreflightRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.profileId = source["profileId"];
	        this.region = source["region"];
	        this.controlPlane = source["controlPlane"];
	        this.network = this.convertValues(source["network"], stack.Network);
	        this.s3Tasks = source["s3Tasks"];
	        this.imageTasks = source["imageTasks"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class RemoveRequest {
	    profileId: string;
	    region: string;
	    controlPlane: string;
	    taskId?: string;
	    keepData: boolean;
	
	    static createFrom(source: any = {}) {
	        return new RemoveRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.profileId = source["profileId"];
	        this.region = source["region"];
	        this.controlPlane = source["controlPlane"];
	        this.taskId = source["taskId"];
	        this.keepData = source["keepData"];
	    }
	}

}

export namespace invalid {
	
	export class FieldError {
	    field: string;
	    message: string;
	
	    static createFrom(source: any = {}) {
	        return new FieldError(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.field = source["field"];
	        this.message = source["message"];
	    }
	}

}

export namespace monitor {
	
	export class Counts {
	    total: number;
	    byStatus: {[key: string]: number};
	
	    static createFrom(source: any = {}) {
	        return new Counts(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.total = source["total"];
	        this.byStatus = source["byStatus"];
	    }
	}
	export class ExportResult {
	    path: string;
	    rows: number;
	
	    static createFrom(source: any = {}) {
	        return new ExportResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.path = source["path"];
	        this.rows = source["rows"];
	    }
	}
	export class Item {
	    key: string;
	    destination?: string;
	    size: number;
	    status: string;
	    attempts: number;
	    error?: string;
	    etag?: string;
	    destEtag?: string;
	    checksum?: string;
	    platforms?: string[];
	    runId?: string;
	    // Go type: time
	    updatedAt: any;
	
	    static createFrom(source: any = {}) {
	        return new Item(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.key = source["key"];
	        this.destination = source["destination"];
	        this.size = source["size"];
	        this.status = source["status"];
	        this.attempts = source["attempts"];
	        this.error = source["error"];
	        this.etag = source["etag"];
	        this.destEtag = source["destEtag"];
	        this.checksum = source["checksum"];
	        this.platforms = source["platforms"];
	        this.runId = source["runId"];
	        this.updatedAt = this.convertValues(source["updatedAt"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ItemsPage {
	    items: Item[];
	    page: number;
	    pageSize: number;
	    pagesCount: number;
	    openEnd: boolean;
	
	    static createFrom(source: any = {}) {
	        return new ItemsPage(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.items = this.convertValues(source["items"], Item);
	        this.page = source["page"];
	        this.pageSize = source["pageSize"];
	        this.pagesCount = source["pagesCount"];
	        this.openEnd = source["openEnd"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ItemsQuery {
	    taskId: string;
	    status: string;
	    prefix: string;
	    page: number;
	    pageSize: number;
	
	    static createFrom(source: any = {}) {
	        return new ItemsQuery(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.taskId = source["taskId"];
	        this.status = source["status"];
	        this.prefix = source["prefix"];
	        this.page = source["page"];
	        this.pageSize = source["pageSize"];
	    }
	}
	export class Live {
	    counters: state.Counters;
	    finderDone: boolean;
	    bytesPerSec: number;
	    objectsPerSec: number;
	    etaSeconds: number;
	    elapsedSeconds: number;
	
	    static createFrom(source: any = {}) {
	        return new Live(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.counters = this.convertValues(source["counters"], state.Counters);
	        this.finderDone = source["finderDone"];
	        this.bytesPerSec = source["bytesPerSec"];
	        this.objectsPerSec = source["objectsPerSec"];
	        this.etaSeconds = source["etaSeconds"];
	        this.elapsedSeconds = source["elapsedSeconds"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class LogPage {
	    records: tasks.LogRecord[];
	    seq: number;
	
	    static createFrom(source: any = {}) {
	        return new LogPage(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.records = this.convertValues(source["records"], tasks.LogRecord);
	        this.seq = source["seq"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Point {
	    t: number;
	    bytesPerSec: number;
	    objectsPerSec: number;
	
	    static createFrom(source: any = {}) {
	        return new Point(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.t = source["t"];
	        this.bytesPerSec = source["bytesPerSec"];
	        this.objectsPerSec = source["objectsPerSec"];
	    }
	}
	export class Row {
	    task: tasks.View;
	    live: Live;
	
	    static createFrom(source: any = {}) {
	        return new Row(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.task = this.convertValues(source["task"], tasks.View);
	        this.live = this.convertValues(source["live"], Live);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Update {
	    task: tasks.View;
	    live: Live;
	    points: Point[];
	    logSeq: number;
	    deleted?: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Update(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.task = this.convertValues(source["task"], tasks.View);
	        this.live = this.convertValues(source["live"], Live);
	        this.points = this.convertValues(source["points"], Point);
	        this.logSeq = source["logSeq"];
	        this.deleted = source["deleted"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace settings {
	
	export class Settings {
	    theme: string;
	    concurrency: number;
	    dataDir: string;
	
	    static createFrom(source: any = {}) {
	        return new Settings(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.theme = source["theme"];
	        this.concurrency = source["concurrency"];
	        this.dataDir = source["dataDir"];
	    }
	}

}

export namespace spec {
	
	export class Schedule {
	    kind?: string;
	    every?: string;
	    cron?: string;
	    at?: string;
	    timeZone?: string;
	
	    static createFrom(source: any = {}) {
	        return new Schedule(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.kind = source["kind"];
	        this.every = source["every"];
	        this.cron = source["cron"];
	        this.at = source["at"];
	        this.timeZone = source["timeZone"];
	    }
	}

}

export namespace stack {
	
	export class Network {
	    VPCID: string;
	    SubnetIDs: string[];
	    PublicIP: boolean;
	    Endpoints: boolean;
	    RouteTableIDs: string[];
	    NAT: boolean;
	    NATSubnetID: string;
	
	    static createFrom(source: any = {}) {
	        return new Network(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.VPCID = source["VPCID"];
	        this.SubnetIDs = source["SubnetIDs"];
	        this.PublicIP = source["PublicIP"];
	        this.Endpoints = source["Endpoints"];
	        this.RouteTableIDs = source["RouteTableIDs"];
	        this.NAT = source["NAT"];
	        this.NATSubnetID = source["NATSubnetID"];
	    }
	}

}

export namespace stackop {
	
	export class Operation {
	    id: string;
	    kind: string;
	    profileId: string;
	    region: string;
	    stack: string;
	    // Go type: time
	    started: any;
	    // Go type: time
	    ended?: any;
	    progress?: deploy.Progress;
	    resources: deploy.ResourceEvent[];
	    uploads?: string[];
	    done: boolean;
	    succeeded: boolean;
	    error?: string;
	    firstFailure?: deploy.Failure;
	    deleteAndRetry?: boolean;
	    removed?: deploy.DeleteResult;
	
	    static createFrom(source: any = {}) {
	        return new Operation(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.kind = source["kind"];
	        this.profileId = source["profileId"];
	        this.region = source["region"];
	        this.stack = source["stack"];
	        this.started = this.convertValues(source["started"], null);
	        this.ended = this.convertValues(source["ended"], null);
	        this.progress = this.convertValues(source["progress"], deploy.Progress);
	        this.resources = this.convertValues(source["resources"], deploy.ResourceEvent);
	        this.uploads = source["uploads"];
	        this.done = source["done"];
	        this.succeeded = source["succeeded"];
	        this.error = source["error"];
	        this.firstFailure = this.convertValues(source["firstFailure"], deploy.Failure);
	        this.deleteAndRetry = source["deleteAndRetry"];
	        this.removed = this.convertValues(source["removed"], deploy.DeleteResult);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace state {
	
	export class Counters {
	    foundObjects: number;
	    foundBytes: number;
	    doneObjects: number;
	    doneBytes: number;
	    skippedObjects: number;
	    skippedBytes: number;
	    failedObjects: number;
	    failedBytes: number;
	
	    static createFrom(source: any = {}) {
	        return new Counters(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.foundObjects = source["foundObjects"];
	        this.foundBytes = source["foundBytes"];
	        this.doneObjects = source["doneObjects"];
	        this.doneBytes = source["doneBytes"];
	        this.skippedObjects = source["skippedObjects"];
	        this.skippedBytes = source["skippedBytes"];
	        this.failedObjects = source["failedObjects"];
	        this.failedBytes = source["failedBytes"];
	    }
	}

}

export namespace tasks {
	
	export class CloudNetwork {
	    vpcId: string;
	    subnetIds: string[];
	    private?: boolean;
	
	    static createFrom(source: any = {}) {
	        return new CloudNetwork(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.vpcId = source["vpcId"];
	        this.subnetIds = source["subnetIds"];
	        this.private = source["private"];
	    }
	}
	export class CloudOptions {
	    profileId: string;
	    region?: string;
	    controlPlane?: string;
	    maxWorkers?: number;
	    instanceTypes?: string[];
	    spot?: boolean;
	    maxCopiers?: number;
	    alarmEmail?: string;
	    network?: CloudNetwork;
	
	    static createFrom(source: any = {}) {
	        return new CloudOptions(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.profileId = source["profileId"];
	        this.region = source["region"];
	        this.controlPlane = source["controlPlane"];
	        this.maxWorkers = source["maxWorkers"];
	        this.instanceTypes = source["instanceTypes"];
	        this.spot = source["spot"];
	        this.maxCopiers = source["maxCopiers"];
	        this.alarmEmail = source["alarmEmail"];
	        this.network = this.convertValues(source["network"], CloudNetwork);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class CloudPanels {
	    queue?: deploy.QueueDepth;
	    // Go type: time
	    queueAt: any;
	    fleet?: deploy.FleetSize;
	    // Go type: time
	    fleetAt: any;
	    logs: deploy.LogLine[];
	    // Go type: time
	    logsAt: any;
	    events: deploy.ResourceEvent[];
	    // Go type: time
	    eventsAt: any;
	    executions: deploy.Execution[];
	    // Go type: time
	    executionsAt: any;
	    problems?: {[key: string]: string};
	
	    static createFrom(source: any = {}) {
	        return new CloudPanels(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.queue = this.convertValues(source["queue"], deploy.QueueDepth);
	        this.queueAt = this.convertValues(source["queueAt"], null);
	        this.fleet = this.convertValues(source["fleet"], deploy.FleetSize);
	        this.fleetAt = this.convertValues(source["fleetAt"], null);
	        this.logs = this.convertValues(source["logs"], deploy.LogLine);
	        this.logsAt = this.convertValues(source["logsAt"], null);
	        this.events = this.convertValues(source["events"], deploy.ResourceEvent);
	        this.eventsAt = this.convertValues(source["eventsAt"], null);
	        this.executions = this.convertValues(source["executions"], deploy.Execution);
	        this.executionsAt = this.convertValues(source["executionsAt"], null);
	        this.problems = source["problems"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class CloudView {
	    profileId: string;
	    region: string;
	    controlPlane: string;
	    profileName: string;
	    stack: string;
	    deployed: boolean;
	    operation?: stackop.Operation;
	    busy: boolean;
	    // Go type: time
	    readAt: any;
	    problem?: string;
	    scheduled: boolean;
	    canEdit: boolean;
	    canRedeploy: boolean;
	    canDelete: boolean;
	
	    static createFrom(source: any = {}) {
	        return new CloudView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.profileId = source["profileId"];
	        this.region = source["region"];
	        this.controlPlane = source["controlPlane"];
	        this.profileName = source["profileName"];
	        this.stack = source["stack"];
	        this.deployed = source["deployed"];
	        this.operation = this.convertValues(source["operation"], stackop.Operation);
	        this.busy = source["busy"];
	        this.readAt = this.convertValues(source["readAt"], null);
	        this.problem = source["problem"];
	        this.scheduled = source["scheduled"];
	        this.canEdit = source["canEdit"];
	        this.canRedeploy = source["canRedeploy"];
	        this.canDelete = source["canDelete"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ImageDestination {
	    kind: string;
	    registry?: string;
	    prefix?: string;
	    region?: string;
	    account?: string;
	    scanOnPush?: boolean;
	    immutableTags?: boolean;
	    kmsKey?: string;
	    endpoint?: string;
	    host?: string;
	    secretArn?: string;
	    profileId?: string;
	
	    static createFrom(source: any = {}) {
	        return new ImageDestination(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.kind = source["kind"];
	        this.registry = source["registry"];
	        this.prefix = source["prefix"];
	        this.region = source["region"];
	        this.account = source["account"];
	        this.scanOnPush = source["scanOnPush"];
	        this.immutableTags = source["immutableTags"];
	        this.kmsKey = source["kmsKey"];
	        this.endpoint = source["endpoint"];
	        this.host = source["host"];
	        this.secretArn = source["secretArn"];
	        this.profileId = source["profileId"];
	    }
	}
	export class ImageSource {
	    kind: string;
	    references?: string[];
	    registry?: string;
	    lists?: string[];
	    region?: string;
	    account?: string;
	    repoPrefix?: string;
	    repoRegex?: string;
	    endpoint?: string;
	    host?: string;
	    secretArn?: string;
	    profileId?: string;
	
	    static createFrom(source: any = {}) {
	        return new ImageSource(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.kind = source["kind"];
	        this.references = source["references"];
	        this.registry = source["registry"];
	        this.lists = source["lists"];
	        this.region = source["region"];
	        this.account = source["account"];
	        this.repoPrefix = source["repoPrefix"];
	        this.repoRegex = source["repoRegex"];
	        this.endpoint = source["endpoint"];
	        this.host = source["host"];
	        this.secretArn = source["secretArn"];
	        this.profileId = source["profileId"];
	    }
	}
	export class ImageSpec {
	    source: ImageSource;
	    destination: ImageDestination;
	    tagInclude?: string[];
	    tagExclude?: string[];
	    semver?: string;
	    latest?: number;
	    platforms?: string[];
	    referrers: boolean;
	    recheckReferrers?: boolean;
	    concurrency?: number;
	    hostConcurrency?: number;
	    reqPerSec?: number;
	    attempts?: number;
	    insecureHttp?: string[];
	    caFiles?: string[];
	    noDockerConfig?: boolean;
	
	    static createFrom(source: any = {}) {
	        return new ImageSpec(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.source = this.convertValues(source["source"], ImageSource);
	        this.destination = this.convertValues(source["destination"], ImageDestination);
	        this.tagInclude = source["tagInclude"];
	        this.tagExclude = source["tagExclude"];
	        this.semver = source["semver"];
	        this.latest = source["latest"];
	        this.platforms = source["platforms"];
	        this.referrers = source["referrers"];
	        this.recheckReferrers = source["recheckReferrers"];
	        this.concurrency = source["concurrency"];
	        this.hostConcurrency = source["hostConcurrency"];
	        this.reqPerSec = source["reqPerSec"];
	        this.attempts = source["attempts"];
	        this.insecureHttp = source["insecureHttp"];
	        this.caFiles = source["caFiles"];
	        this.noDockerConfig = source["noDockerConfig"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Location {
	    kind: string;
	    bucket?: string;
	    prefix?: string;
	    region?: string;
	    path?: string;
	    provider?: string;
	    endpoint?: string;
	    addressing?: string;
	    requesterPays?: boolean;
	    checksums?: string;
	    awsProfile?: string;
	    secretArn?: string;
	    roleArn?: string;
	    externalId?: string;
	    anonymous?: boolean;
	    profileId?: string;
	
	    static createFrom(source: any = {}) {
	        return new Location(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.kind = source["kind"];
	        this.bucket = source["bucket"];
	        this.prefix = source["prefix"];
	        this.region = source["region"];
	        this.path = source["path"];
	        this.provider = source["provider"];
	        this.endpoint = source["endpoint"];
	        this.addressing = source["addressing"];
	        this.requesterPays = source["requesterPays"];
	        this.checksums = source["checksums"];
	        this.awsProfile = source["awsProfile"];
	        this.secretArn = source["secretArn"];
	        this.roleArn = source["roleArn"];
	        this.externalId = source["externalId"];
	        this.anonymous = source["anonymous"];
	        this.profileId = source["profileId"];
	    }
	}
	export class S3Spec {
	    source: Location;
	    destination: Location;
	    compare?: string;
	    prefixes?: string[];
	    prefixList?: string;
	    include?: string[];
	    exclude?: string[];
	    minSize?: string;
	    maxSize?: string;
	    modifiedAfter?: string;
	    modifiedBefore?: string;
	    delete?: boolean;
	    deleteEmptySource?: boolean;
	    maxDelete?: number;
	    listWorkers?: number;
	    splitFlatLevels?: boolean;
	    serverSide?: string;
	    concurrency?: number;
	    partSize?: string;
	    multipartThreshold?: string;
	    maxMemory?: string;
	    stallTimeout?: string;
	    storageClass?: string;
	    acl?: string;
	    sse?: string;
	    sseKmsKeyId?: string;
	    tags?: string;
	    noTags?: boolean;
	    noSrcEtag?: boolean;
	    events?: string;
	
	    static createFrom(source: any = {}) {
	        return new S3Spec(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.source = this.convertValues(source["source"], Location);
	        this.destination = this.convertValues(source["destination"], Location);
	        this.compare = source["compare"];
	        this.prefixes = source["prefixes"];
	        this.prefixList = source["prefixList"];
	        this.include = source["include"];
	        this.exclude = source["exclude"];
	        this.minSize = source["minSize"];
	        this.maxSize = source["maxSize"];
	        this.modifiedAfter = source["modifiedAfter"];
	        this.modifiedBefore = source["modifiedBefore"];
	        this.delete = source["delete"];
	        this.deleteEmptySource = source["deleteEmptySource"];
	        this.maxDelete = source["maxDelete"];
	        this.listWorkers = source["listWorkers"];
	        this.splitFlatLevels = source["splitFlatLevels"];
	        this.serverSide = source["serverSide"];
	        this.concurrency = source["concurrency"];
	        this.partSize = source["partSize"];
	        this.multipartThreshold = source["multipartThreshold"];
	        this.maxMemory = source["maxMemory"];
	        this.stallTimeout = source["stallTimeout"];
	        this.storageClass = source["storageClass"];
	        this.acl = source["acl"];
	        this.sse = source["sse"];
	        this.sseKmsKeyId = source["sseKmsKeyId"];
	        this.tags = source["tags"];
	        this.noTags = source["noTags"];
	        this.noSrcEtag = source["noSrcEtag"];
	        this.events = source["events"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Definition {
	    v: number;
	    s3?: S3Spec;
	    image?: ImageSpec;
	    schedule: spec.Schedule;
	    cloud?: CloudOptions;
	
	    static createFrom(source: any = {}) {
	        return new Definition(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.v = source["v"];
	        this.s3 = this.convertValues(source["s3"], S3Spec);
	        this.image = this.convertValues(source["image"], ImageSpec);
	        this.schedule = this.convertValues(source["schedule"], spec.Schedule);
	        this.cloud = this.convertValues(source["cloud"], CloudOptions);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class CreateRequest {
	    name: string;
	    definition: Definition;
	    start: boolean;
	    deployControlPlane: boolean;
	
	    static createFrom(source: any = {}) {
	        return new CreateRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.definition = this.convertValues(source["definition"], Definition);
	        this.start = source["start"];
	        this.deployControlPlane = source["deployControlPlane"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class EditPlan {
	    id: string;
	    taskId: string;
	    preview: deploy.Preview;
	    notes?: string[];
	    noChanges: boolean;
	    sidesChanged: boolean;
	
	    static createFrom(source: any = {}) {
	        return new EditPlan(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.taskId = source["taskId"];
	        this.preview = this.convertValues(source["preview"], deploy.Preview);
	        this.notes = source["notes"];
	        this.noChanges = source["noChanges"];
	        this.sidesChanged = source["sidesChanged"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	
	
	
	export class LogRecord {
	    seq: number;
	    // Go type: time
	    time: any;
	    level: string;
	    message: string;
	    attrs?: string;
	
	    static createFrom(source: any = {}) {
	        return new LogRecord(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.seq = source["seq"];
	        this.time = this.convertValues(source["time"], null);
	        this.level = source["level"];
	        this.message = source["message"];
	        this.attrs = source["attrs"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class MoveRequest {
	    taskId: string;
	    cloud: CloudOptions;
	    deployControlPlane: boolean;
	    start: boolean;
	
	    static createFrom(source: any = {}) {
	        return new MoveRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.taskId = source["taskId"];
	        this.cloud = this.convertValues(source["cloud"], CloudOptions);
	        this.deployControlPlane = source["deployControlPlane"];
	        this.start = source["start"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Placement {
	    profileId: string;
	    region: string;
	    controlPlane: string;
	
	    static createFrom(source: any = {}) {
	        return new Placement(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.profileId = source["profileId"];
	        this.region = source["region"];
	        this.controlPlane = source["controlPlane"];
	    }
	}
	export class PlanEntry {
	    source: string;
	    destination: string;
	    action: string;
	    error?: string;
	
	    static createFrom(source: any = {}) {
	        return new PlanEntry(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.source = source["source"];
	        this.destination = source["destination"];
	        this.action = source["action"];
	        this.error = source["error"];
	    }
	}
	export class Plan {
	    found: number;
	    foundBytes: number;
	    toCopy: number;
	    toCopyBytes: number;
	    unchanged: number;
	    unchangedBytes: number;
	    toDelete: number;
	    archived: number;
	    errors: number;
	    estRequests: number;
	    serverSide: boolean;
	    entries?: PlanEntry[];
	    partial: boolean;
	    seconds: number;
	
	    static createFrom(source: any = {}) {
	        return new Plan(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.found = source["found"];
	        this.foundBytes = source["foundBytes"];
	        this.toCopy = source["toCopy"];
	        this.toCopyBytes = source["toCopyBytes"];
	        this.unchanged = source["unchanged"];
	        this.unchangedBytes = source["unchangedBytes"];
	        this.toDelete = source["toDelete"];
	        this.archived = source["archived"];
	        this.errors = source["errors"];
	        this.estRequests = source["estRequests"];
	        this.serverSide = source["serverSide"];
	        this.entries = this.convertValues(source["entries"], PlanEntry);
	        this.partial = source["partial"];
	        this.seconds = source["seconds"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class PreviewCreate {
	    placement: Placement;
	    controlPlaneMissing: boolean;
	    controlPlane?: deploy.Preview;
	    task?: deploy.Preview;
	    notes?: string[];
	
	    static createFrom(source: any = {}) {
	        return new PreviewCreate(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.placement = this.convertValues(source["placement"], Placement);
	        this.controlPlaneMissing = source["controlPlaneMissing"];
	        this.controlPlane = this.convertValues(source["controlPlane"], deploy.Preview);
	        this.task = this.convertValues(source["task"], deploy.Preview);
	        this.notes = source["notes"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class View {
	    id: string;
	    type: string;
	    name: string;
	    engine: string;
	    status: string;
	    spec: Definition;
	    source: string;
	    destination: string;
	    counters: state.Counters;
	    runId: string;
	    finderDone: boolean;
	    lastError: string;
	    // Go type: time
	    createdAt: any;
	    // Go type: time
	    startedAt: any;
	    // Go type: time
	    finishedAt: any;
	    // Go type: time
	    nextRun: any;
	    active: boolean;
	    problem?: string;
	    canStart: boolean;
	    canStop: boolean;
	    canResume: boolean;
	    canRetry: boolean;
	    stateFile: string;
	    cloud?: CloudView;
	
	    static createFrom(source: any = {}) {
	        return new View(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.type = source["type"];
	        this.name = source["name"];
	        this.engine = source["engine"];
	        this.status = source["status"];
	        this.spec = this.convertValues(source["spec"], Definition);
	        this.source = source["source"];
	        this.destination = source["destination"];
	        this.counters = this.convertValues(source["counters"], state.Counters);
	        this.runId = source["runId"];
	        this.finderDone = source["finderDone"];
	        this.lastError = source["lastError"];
	        this.createdAt = this.convertValues(source["createdAt"], null);
	        this.startedAt = this.convertValues(source["startedAt"], null);
	        this.finishedAt = this.convertValues(source["finishedAt"], null);
	        this.nextRun = this.convertValues(source["nextRun"], null);
	        this.active = source["active"];
	        this.problem = source["problem"];
	        this.canStart = source["canStart"];
	        this.canStop = source["canStop"];
	        this.canResume = source["canResume"];
	        this.canRetry = source["canRetry"];
	        this.stateFile = source["stateFile"];
	        this.cloud = this.convertValues(source["cloud"], CloudView);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace types {
	
	export class Output {
	    Description?: string;
	    ExportName?: string;
	    OutputKey?: string;
	    OutputValue?: string;
	
	    static createFrom(source: any = {}) {
	        return new Output(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.Description = source["Description"];
	        this.ExportName = source["ExportName"];
	        this.OutputKey = source["OutputKey"];
	        this.OutputValue = source["OutputValue"];
	    }
	}

}

