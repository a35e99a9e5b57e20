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
	
	    static createFrom(source: any = {}) {
	        return new Definition(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.v = source["v"];
	        this.s3 = this.convertValues(source["s3"], S3Spec);
	        this.image = this.convertValues(source["image"], ImageSpec);
	        this.schedule = this.convertValues(source["schedule"], spec.Schedule);
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
	
	    static createFrom(source: any = {}) {
	        return new CreateRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.definition = this.convertValues(source["definition"], Definition);
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

