/* SPDX-License-Identifier: MIT */
/* SMCCC SMC call from EL2 to the firmware (QEMU's built-in PSCI). */
	.text
	.global smc_call
smc_call:
	smc	#0
	ret
