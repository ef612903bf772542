"""RDS where moto falls short: the final snapshot rule of DeleteDBInstance."""
