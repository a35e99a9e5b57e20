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
	    fieldErrors: credentials.FieldError[];
	
	    static createFrom(source: any = {}) {
	        return new CredentialsSaveResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.profile = this.convertValues(source["profile"], credentials.Profile);
	        this.fieldErrors = this.convertValues(source["fieldErrors"], credentials.FieldError);
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
	
	export class SaveResult {
	    settings: settings.Settings;
	    fieldErrors: settings.FieldError[];
	
	    static createFrom(source: any = {}) {
	        return new SaveResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.settings = this.convertValues(source["settings"], settings.Settings);
	        this.fieldErrors = this.convertValues(source["fieldErrors"], settings.FieldError);
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

}

export namespace credentials {
	
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

export namespace settings {
	
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

