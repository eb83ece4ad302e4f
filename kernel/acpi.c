/*
 * acpi.c - find the power-off port and the CPUs in the ACPI tables.
 *
 * RSDP (revision >= 2: the XSDT's 64-bit entries, else the RSDT's 32-bit
 * ones) -> each table's 4-byte signature: "FACP" gives PM1a_CNT_BLK and the
 * DSDT, in whose AML the \_S5 package's first element is SLP_TYPa; "APIC"
 * (the MADT) lists the local APICs.  Every table's checksum is verified and
 * a bad one ignored.  The \_S5 search is the usual byte scan: name "_S5_",
 * PackageOp 0x12, PkgLength, NumElements, then a ByteConst (0x0A nn) or
 * ZeroOp/OneOp - not a full AML interpreter.
 */
#include <string.h>

#include "acpi.h"

struct __attribute__((packed)) sdt_header {
	char sig[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
};

static int checksum_ok(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *b++);
	return s == 0;
}

int acpi_find_s5(const uint8_t *aml, size_t len)
{
	size_t i;
	for (i = 0; i + 8 < len; i++) {
		const uint8_t *p = aml + i;
		if (memcmp(p, "_S5_", 4) || p[4] != 0x12)
			continue;
		p += 5;
		p += ((p[0] >> 6) & 3) + 1; /* PkgLength: 1-4 bytes */
		if (p + 3 > aml + len)
			return -1;
		p++;                        /* NumElements */
		if (p[0] == 0x0A)
			return p[1];        /* BytePrefix nn */
		if (p[0] == 0x00 || p[0] == 0x01)
			return p[0];        /* ZeroOp, OneOp */
		return -1;
	}
	return -1;
}

static void parse_fadt(const uint8_t *t, uint32_t len, void *(*to_ptr)(uint64_t),
		       struct acpi_info *out)
{
	uint32_t pm1a, dsdt32;
	uint64_t dsdt = 0;

	if (len < 68)
		return;
	memcpy(&dsdt32, t + 40, 4);
	memcpy(&pm1a, t + 64, 4);
	dsdt = dsdt32;
	if (len >= 148) {
		uint64_t x;
		memcpy(&x, t + 140, 8);
		if (x)
			dsdt = x;
	}
	out->pm1a_cnt = (uint16_t)pm1a;
	if (dsdt) {
		const struct sdt_header *d = to_ptr(dsdt);
		/* A length below the header would make the AML's length wrap. */
		if (!memcmp(d->sig, "DSDT", 4) && d->length >= sizeof(*d) && checksum_ok(d, d->length)) {
			int s5 = acpi_find_s5((const uint8_t *)d + sizeof(*d),
					      d->length - sizeof(*d));
			if (s5 >= 0)
				out->s5_slp_typ = (uint16_t)s5;
		}
	}
}

static void parse_madt(const uint8_t *t, uint32_t len, struct acpi_info *out)
{
	uint32_t off = sizeof(struct sdt_header) + 8; /* local APIC address, flags */
	while (off + 2 <= len) {
		uint8_t type = t[off], elen = t[off + 1];
		if (elen < 2 || off + elen > len)
			break;
		/* Processor Local APIC: uid, apic id, flags (bit 0 enabled, bit 1 online-capable) */
		if (type == 0 && elen >= 8) {
			uint32_t flags;
			memcpy(&flags, t + off + 4, 4);
			if ((flags & 3) && out->ncpus < sizeof(out->apic_id))
				out->apic_id[out->ncpus++] = t[off + 3];
		}
		off += elen;
	}
}

int acpi_parse(uint64_t rsdp_phys, void *(*to_ptr)(uint64_t), struct acpi_info *out,
	       const char **why)
{
	const uint8_t *rsdp;
	const struct sdt_header *root;
	uint64_t root_phys;
	unsigned entry_size, i, n;

	memset(out, 0, sizeof(*out));
	if (!rsdp_phys) {
		*why = "no ACPI RSDP from the firmware";
		return -1;
	}
	rsdp = to_ptr(rsdp_phys);
	if (memcmp(rsdp, "RSD PTR ", 8) || !checksum_ok(rsdp, 20)) {
		*why = "ACPI RSDP has a bad signature or checksum";
		return -1;
	}
	if (rsdp[15] >= 2) {
		memcpy(&root_phys, rsdp + 24, 8);
		entry_size = 8;
	} else {
		uint32_t r;
		memcpy(&r, rsdp + 16, 4);
		root_phys = r;
		entry_size = 4;
	}
	root = to_ptr(root_phys);
	/* A length below the header would make the entry count wrap (a zero
	 * length passes the checksum: found by tests/fuzz/fuzz_acpi.c). */
	if (root->length < sizeof(*root) || !checksum_ok(root, root->length)) {
		*why = "ACPI RSDT/XSDT length or checksum is bad";
		return -1;
	}
	n = (root->length - sizeof(*root)) / entry_size;
	for (i = 0; i < n; i++) {
		uint64_t p = 0;
		const struct sdt_header *t;
		memcpy(&p, (const uint8_t *)root + sizeof(*root) + i * entry_size, entry_size);
		t = to_ptr(p);
		if (t->length < sizeof(*t) || !checksum_ok(t, t->length))
			continue;
		if (!memcmp(t->sig, "FACP", 4))
			parse_fadt((const uint8_t *)t, t->length, to_ptr, out);
		else if (!memcmp(t->sig, "APIC", 4))
			parse_madt((const uint8_t *)t, t->length, out);
	}
	return 0;
}
