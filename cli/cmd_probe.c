/* mailcanary probe: placeholder until the probe command lands. */
#include "cli/cli.h"

int cmd_probe(const struct mc_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return cli_fail("probe: not implemented yet");
}
