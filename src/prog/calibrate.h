/* gnomonctl gateway calibrate (calibrate.c). */
#ifndef GNOMON_CALIBRATE_H
#define GNOMON_CALIBRATE_H

/* argv[0] is "calibrate"; returns the exit status. */
int calibrate_main(int argc, char **argv);

#endif
