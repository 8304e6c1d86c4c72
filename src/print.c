#include "motcham/print.h"
