// SPDX-License-Identifier: MIT
/*
 * Redaction (README.md: Redaction) without BPF or DWARF: the capture steps
 * plan_follow.c makes for hand-built types (a redacted field's pointer is
 * never followed, nor another enum variant's or trait-object candidate's
 * pointer at the same place), the decoder's output for them, and the
 * command line kept in session.command.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "decode.h"
#include "plan_follow.h"
#include "redact.h"
#include "unit.h"

static struct rtype t_u8 = {
    .kind = RK_UINT, .name = "u8", .debug_name = "u8", .size = 1, .sized = true};
static struct rtype t_u32 = {
    .kind = RK_UINT, .name = "u32", .debug_name = "u32", .size = 4, .sized = true};
static struct rtype t_u64 = {
    .kind = RK_UINT, .name = "u64", .debug_name = "u64", .size = 8, .sized = true};
/* String { cap, ptr, len } (rustc 1.95's order) */
static struct rtype t_string = {.kind = RK_STRING,
				.name = "alloc::string::String",
				.debug_name = "String",
				.size = 24,
				.sized = true,
				.target = &t_u8,
				.ptr_off = 8,
				.len_off = 16};
/* &str { ptr, len } */
static struct rtype t_str = {.kind = RK_STR,
			     .name = "&str",
			     .debug_name = "&str",
			     .size = 16,
			     .sized = true,
			     .target = &t_u8,
			     .ptr_off = 0,
			     .len_off = 8};

/* struct Creds { user: String, password: String, pin: u32 } */
static struct rfield creds_fields[] = {
    {"user", 0, &t_string}, {"password", 24, &t_string}, {"pin", 48, &t_u32}};
static struct rtype t_creds = {.kind = RK_STRUCT,
			       .name = "demo::Creds",
			       .debug_name = "Creds",
			       .size = 56,
			       .sized = true,
			       .fields = creds_fields,
			       .nfields = 3,
			       .debug = RDBG_DERIVED};
/* Vec<Creds> { cap, ptr, len } */
static struct rtype t_vec_creds = {.kind = RK_VEC,
				   .name = "alloc::vec::Vec<demo::Creds>",
				   .debug_name = "Vec",
				   .size = 24,
				   .sized = true,
				   .target = &t_creds,
				   .ptr_off = 8,
				   .len_off = 16};

/*
 * enum Auth { Basic { user: String, password: String }, Bearer { token:
 * String, scope: u32 }, Alias { alias: &str } } laid out like rustc 1.95
 * lays out such an enum: Alias's pointer shares its place (32) with
 * Basic's password pointer, Basic's user pointer (8) touches no redacted one.
 */
static struct rfield basic_fields[] = {{"user", 0, &t_string}, {"password", 24, &t_string}};
static struct rtype t_basic = {.kind = RK_STRUCT,
			       .name = "Basic",
			       .debug_name = "Basic",
			       .size = 48,
			       .sized = true,
			       .fields = basic_fields,
			       .nfields = 2};
static struct rfield bearer_fields[] = {{"token", 8, &t_string}, {"scope", 32, &t_u32}};
static struct rtype t_bearer = {.kind = RK_STRUCT,
				.name = "Bearer",
				.debug_name = "Bearer",
				.size = 48,
				.sized = true,
				.fields = bearer_fields,
				.nfields = 2};
static struct rfield alias_fields[] = {{"alias", 32, &t_str}};
static struct rtype t_alias = {.kind = RK_STRUCT,
			       .name = "Alias",
			       .debug_name = "Alias",
			       .size = 48,
			       .sized = true,
			       .fields = alias_fields,
			       .nfields = 1};
static struct rvariant auth_vars[] = {{"Basic", false, 0, &t_basic},
				      {"Bearer", true, 0x8000000000000000ull, &t_bearer},
				      {"Alias", true, 0x8000000000000001ull, &t_alias}};
static struct rtype t_auth = {.kind = RK_ENUM,
			      .name = "demo::Auth",
			      .debug_name = "Auth",
			      .size = 48,
			      .sized = true,
			      .discr = {NULL, 0, &t_u64},
			      .variants = auth_vars,
			      .nvariants = 3,
			      .debug = RDBG_DERIVED};

/* dyn Trait with two candidates reading the same bytes: Vault { secret: String }, Name { name:
 * String } */
static struct rfield vault_fields[] = {{"secret", 0, &t_string}};
static struct rtype t_vault = {.kind = RK_STRUCT,
			       .name = "demo::Vault",
			       .debug_name = "Vault",
			       .size = 24,
			       .sized = true,
			       .fields = vault_fields,
			       .nfields = 1};
static struct rfield name_fields[] = {{"name", 0, &t_string}};
static struct rtype t_name = {.kind = RK_STRUCT,
			      .name = "demo::Name",
			      .debug_name = "Name",
			      .size = 24,
			      .sized = true,
			      .fields = name_fields,
			      .nfields = 1};
static struct rimpl dyn_impls[] = {{0x1000, &t_vault}, {0x2000, &t_name}};
static struct rtype t_dyn = {.kind = RK_DYN,
			     .name = "&dyn demo::Tr",
			     .size = 16,
			     .sized = true,
			     .ptr_off = 0,
			     .len_off = 8,
			     .impls = dyn_impls,
			     .nimpls = 2,
			     .dyn_size = 24};

static const char patterns[] =
    "[trace]\nredact = [\"*password*\", \"*token*\", \"api_?ey\", \"SECRET*\"]\n";
static const char anchored[] = "[trace]\nredact = [\"api_?ey\", \"SECRET*\"]\n";
static struct config cfg;
static struct redactor red;
static const struct plan_redact *pr;
static struct plan_site psite;
static struct plan_limits lim = {32, 256, 4};

/* The steps for one value of type t copied by step 0 (as plan.c's parameters). */
static struct step_builder *follow(struct rtype *t, const struct plan_redact *r)
{
	static struct step_builder b;

	memset(&psite, 0, sizeof(psite));
	memset(&b, 0, sizeof(b));
	psite.redact = r;
	psite.ip_step = -1;
	psite.bpf.steps[0] = (struct rst_step){.op = RST_OP_MEM, .max_len = t->size};
	psite.bpf.nsteps = 1;
	b.site = &psite;
	b.lim = &lim;
	steps__follow(&b, t, 0, 0, 0);
	return &b;
}

/* A DEREF of step parent's pointer at ptr_off (-1: any parent). */
static bool has_deref(int parent, uint64_t ptr_off)
{
	int i;

	for (i = 0; i < psite.bpf.nsteps; i++)
		if (psite.bpf.steps[i].op == RST_OP_DEREF &&
		    psite.bpf.steps[i].ptr_off == ptr_off &&
		    (parent < 0 || psite.bpf.steps[i].parent == parent))
			return true;
	return false;
}

static void test_capture(void)
{
	struct step_builder *b;
	int c;

	/* without patterns both strings are followed: the checks below can fail */
	follow(&t_creds, NULL);
	CHECK(has_deref(0, 8) && has_deref(0, 32));
	b = follow(&t_creds, pr);
	CHECK(has_deref(0, 8));
	CHECK(!has_deref(-1, 32)); /* password's bytes: no step at all */
	CHECK(!b->redact_cut);

	/* each element of a Vec<Creds>: the element's password pointer is not followed */
	follow(&t_vec_creds, pr);
	c = 1;
	CHECK(psite.bpf.nsteps == 3 && psite.bpf.steps[c].op == RST_OP_DEREF);
	CHECK(has_deref(c, 8) && !has_deref(c, 32));

	/* enum: Alias's pointer at 32 is Basic's password pointer, so not followed either */
	follow(&t_auth, NULL);
	CHECK(has_deref(0, 8) && has_deref(0, 16) && has_deref(0, 32));
	b = follow(&t_auth, pr);
	CHECK(has_deref(0, 8));	   /* Basic.user */
	CHECK(!has_deref(-1, 16)); /* Bearer.token */
	CHECK(!has_deref(-1, 32)); /* Basic.password, and Alias.alias at the same place */
	CHECK(b->redact_cut);
	CHECK(b->ndeny == 0); /* the deny list lives only while the variants are followed */

	/* trait object: Name's string pointer is Vault's secret's */
	follow(&t_dyn, NULL);
	c = 2; /* step 1 is the ip, 2 the data */
	CHECK(psite.bpf.steps[c].op == RST_OP_DEREF && has_deref(c, 8));
	b = follow(&t_dyn, pr);
	CHECK(psite.bpf.steps[c].op == RST_OP_DEREF && !has_deref(c, 8));
	CHECK(b->redact_cut);
}

static void test_field_names(void)
{
	static struct rfield env_fields[] = {{"_ref__api_token", 0, &t_u32}};
	static struct rtype t_env = {.kind = RK_STRUCT,
				     .name = "demo::main::{closure_env#0}",
				     .size = 4,
				     .sized = true,
				     .fields = env_fields,
				     .nfields = 1};
	static struct rfield tup_fields[] = {{"__0", 0, &t_u32}};
	static struct rtype t_tup = {.kind = RK_STRUCT,
				     .name = "demo::Token",
				     .debug_name = "Token",
				     .size = 4,
				     .sized = true,
				     .fields = tup_fields,
				     .nfields = 1,
				     .tuple_fields = true};
	static struct rfield pass_fields[] = {{"passenger", 0, &t_u32}, {"PassWord2", 4, &t_u32}};
	static struct rtype t_pass = {.kind = RK_STRUCT,
				      .name = "demo::P",
				      .size = 8,
				      .sized = true,
				      .fields = pass_fields,
				      .nfields = 2};

	/* a closure's capture by reference is matched by the variable's name (api_?ey, *token*) */
	CHECK(plan__field_redacted(pr, &t_env, 0));
	/* positions are no names: a tuple struct's or variant's own name stands for them */
	CHECK(plan__field_redacted(pr, &t_tup, 0));
	t_tup.debug_name = "ApiKey"; /* api_?ey in snake_case */
	CHECK(plan__field_redacted(pr, &t_tup, 0));
	t_tup.debug_name = "HTTPSecretStore"; /* SECRET*: http_secret_store does not start so */
	CHECK(!plan__field_redacted(pr, &t_tup, 0));
	t_tup.debug_name = "Apikey";
	CHECK(!plan__field_redacted(pr, &t_tup, 0));
	t_tup.debug_name = "(u32, u32)"; /* a tuple */
	CHECK(!plan__field_redacted(pr, &t_tup, 0));
	t_tup.debug_name = "SecretsTTLToken";
	CHECK(plan__field_redacted(pr, &t_tup, 0));
	CHECK(!plan__field_redacted(pr, &t_pass, 0));
	CHECK(plan__field_redacted(pr, &t_pass, 1)); /* any case */
	CHECK(!plan__field_redacted(NULL, &t_pass, 1));
	/* the cache answers by address: a second ask of the same name, and another name */
	CHECK(plan__field_redacted(pr, &t_pass, 1) && !plan__field_redacted(pr, &t_pass, 0));

	/* the start of a name cut at the capture limit: could any name starting so match? */
	CHECK(config__redacted_n(&cfg, "home", 4, true)); /* *token*: anything may follow */
	CHECK(!config__redacted_n(&cfg, "home", 4, false));
	CHECK(config__redacted_n(&cfg, "a\0token", 7, false)); /* NUL is a byte like any */
	config__free(&cfg);
	CHECK(config__load_text(&cfg, anchored, sizeof(anchored) - 1, "rstrace.toml", NULL, 0) ==
	      0);
	CHECK(config__redacted_n(&cfg, "api_k", 5, true));
	CHECK(!config__redacted_n(&cfg, "api_k", 5, false));
	CHECK(!config__redacted_n(&cfg, "apix", 4, true));
	CHECK(config__redacted_n(&cfg, "Secr", 4, true)); /* any case */
	config__free(&cfg);
	CHECK(config__load_text(&cfg, patterns, sizeof(patterns) - 1, "rstrace.toml", NULL, 0) ==
	      0);
	pr = redactor__init(&red, &cfg); /* answers cached for other patterns are gone */
}

#include "decode_harness.h"

static void test_decode(void)
{
	uint8_t root[56] = {0}, user[3] = {'b', 'o', 'b'};

	/* Creds { user: "bob", password: <redacted>, pin: 7 }: no blob for the password */
	plan1(&t_creds);
	site.redact = pr;
	site.bpf.steps[0] = (struct rst_step){.op = RST_OP_MEM, .max_len = 56};
	step_deref(0, 8, 16, 0, 1, 256, &t_string);
	put64(root + 8, 0x5000);
	put64(root + 16, 3);
	put64(root + 32, 0x6000);
	put64(root + 40, 8);
	root[48] = 7;
	ev_init();
	ev_blob(0, -1, 0, 0, root, 56, 56);
	ev_blob(1, 0, 0, 0, user, 3, 3);
	CHECK_STR(run(),
		  "[{\"name\":\"v\",\"type\":\"demo::Creds\",\"value\":null,\"redacted\":true,"
		  "\"fields\":\"Creds { user: \\\"bob\\\", password: <redacted>, pin: 7 }\"}]");
	/* the same value without patterns: {:?}, and the missing blob makes it unknown */
	site.redact = NULL;
	CHECK(strstr(run(), "\"value\":null,\"error\":\"pointer depth limit reached\"}]"));

	/* Alias's pointer, not followed for Basic's password: the rest shows as fields */
	follow(&t_auth, pr);
	site = psite;
	site.values = vals;
	site.nvalues = 1;
	site.max_array = 32;
	memset(vals, 0, sizeof(vals));
	vals[0] = (struct plan_value){.name = "v", .type = &t_auth, .root = 0, .redact_cut = true};
	memset(root, 0, sizeof(root));
	put64(root, 0x8000000000000001ull);
	put64(root + 32, 0x7000);
	put64(root + 40, 3);
	ev_init();
	ev_blob(0, -1, 0, 0, root, 48, 48);
	CHECK_STR(run(),
		  "[{\"name\":\"v\",\"type\":\"demo::Auth\",\"value\":null,\"error\":"
		  "\"pointer not followed: the depth limit, or another variant keeps a redacted "
		  "pointer there\",\"fields\":\"Alias { alias: ? }\"}]");
	/* Bearer: its token <redacted>, the rest of the value exact */
	put64(root, 0x8000000000000000ull);
	put64(root + 32, 9);
	ev_init();
	ev_blob(0, -1, 0, 0, root, 48, 48);
	CHECK_STR(run(),
		  "[{\"name\":\"v\",\"type\":\"demo::Auth\",\"value\":null,"
		  "\"redacted\":true,\"fields\":\"Bearer { token: <redacted>, scope: 9 }\"}]");

	/* a whole parameter: no fields */
	plan1(&t_u32);
	vals[0].redacted = true;
	ev_init();
	CHECK_STR(run(), "[{\"name\":\"v\",\"type\":\"u32\",\"value\":null,\"redacted\":true}]");
}

static void cmd(const char *want, int argc, ...)
{
	char *argv[16];
	char *got;
	va_list ap;
	int i;

	va_start(ap, argc);
	for (i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	got = redact__command(&cfg, argv, argc);
	CHECK_STR(got, want);
	free(got);
}

static void test_command(void)
{
	cmd("./app --password=<redacted> --user bob", 4, "./app", "--password=hunter2", "--user",
	    "bob");
	cmd("./app --api-token <redacted> -v", 4, "./app", "--api-token", "t0k", "-v");
	/* - and _ swapped; one dash; KEY=value; the value may look like an option */
	cmd("./app -api_key <redacted> DB_PASSWORD=<redacted>", 4, "./app", "-api_key", "--x",
	    "DB_PASSWORD=pw");
	cmd("./app --passenger=3 --mode fast api-key", 5, "./app", "--passenger=3", "--mode",
	    "fast", "api-key");
	/* the program's path is no option; a last option without value */
	cmd("/opt/token/app --token", 2, "/opt/token/app", "--token");
	cmd("./app --password=<redacted>", 2, "./app", "--password=");
	/* a URL's password, under any key or none; its user, host, port and path stay */
	cmd("./app --db=postgres://app:<redacted>@db:5432/x https://u:<redacted>@h/a@b", 3, "./app",
	    "--db=postgres://app:s3cr3t@db:5432/x", "https://u:pw@h/a@b");
	cmd("./app http://host:8080/p@q ftp://anon@h a://b:<redacted>@c,d://e:<redacted>@f", 4,
	    "./app", "http://host:8080/p@q", "ftp://anon@h", "a://b:x@c,d://e:y@f");
	cmd("./app --token <redacted>", 3, "./app", "--token", "https://u:pw@h");
}

int main(void)
{
	char err[256];

	sb_init(&out);
	config__init_defaults(&cfg);
	if (config__load_text(&cfg, patterns, sizeof(patterns) - 1, "rstrace.toml", err,
			      sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	pr = redactor__init(&red, &cfg);
	CHECK(pr != NULL);
	test_capture();
	test_field_names();
	test_decode();
	test_command();
	config__free(&cfg);
	sb_free(&out);
	return unit_done("test_redact");
}
